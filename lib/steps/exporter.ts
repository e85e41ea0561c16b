import type { Change } from "../engine/change.ts";
import { CONTAINER_NAMES, exporterSpec } from "../containers/builders.ts";
import { containerChange, containerNeeds } from "../containers/container_change.ts";
import type { Step } from "./step.ts";
import { dockerFor, networkAndImage } from "./container_recipe.ts";

/** Step 5: the apache_exporter container, scraping mod_status at our Docker network's gateway. */
export const exporterStep: Step = {
  id: "exporter",
  needs: (host) => ({
    docker: containerNeeds({ name: CONTAINER_NAMES.exporter, image: host.vars.images.apache_exporter }),
  }),
  plan: (ctx) => {
    const snap = dockerFor(ctx);
    if (!snap) {
      // Check mode before Docker runs: the scrape address (our network's gateway) exists only then.
      const image = ctx.host.vars.images.apache_exporter;
      return Promise.resolve([
        ...networkAndImage(ctx, null, image).filter((c): c is Change => c !== null),
        {
          summary:
            `create and start container ${CONTAINER_NAMES.exporter} (scraping our network's gateway Docker will give it)`,
          apply: () => Promise.reject(new Error("Docker is not running")),
        },
      ]);
    }
    const spec = exporterSpec(ctx.host, ctx.facts);
    const changes: (Change | null)[] = [
      ...networkAndImage(ctx, snap, spec.image),
      containerChange(snap, ctx.docker, ctx.ssh, spec, {}, { progress: ctx.progress }),
    ];
    return Promise.resolve(changes.filter((c): c is Change => c !== null));
  },
};
