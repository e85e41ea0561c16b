import type { Change } from "../engine/change.ts";
import { CONTAINER_NAMES, exporterSpec } from "../containers/builders.ts";
import { containerChange, containerNeeds, dockerFor, networkAndImage } from "../containers/changes.ts";
import type { Step } from "../engine/step.ts";

/** Step 5: the apache_exporter container, scraping mod_status at the Docker bridge gateway. */
export const exporterStep: Step = {
  id: "exporter",
  needs: (host) => ({
    docker: containerNeeds({ name: CONTAINER_NAMES.exporter, image: host.vars.images.apache_exporter }),
  }),
  plan: (ctx) => {
    const spec = exporterSpec(ctx.host, ctx.facts);
    const snap = dockerFor(ctx);
    const changes: (Change | null)[] = [
      ...networkAndImage(ctx, snap, spec.image),
      containerChange(snap, ctx.docker, ctx.ssh, spec, {}, { progress: ctx.progress }),
    ];
    return Promise.resolve(changes.filter((c): c is Change => c !== null));
  },
};
