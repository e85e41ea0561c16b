import type { Change } from "../engine/change.ts";
import { CONTAINER_NAMES, exporterSpec, scrapeUri } from "../containers/builders.ts";
import { afterScrapeCheck } from "./scrape_check.ts";
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
    const container = containerChange(snap, ctx.docker, ctx.ssh, spec, {}, { progress: ctx.progress });
    const changes: (Change | null)[] = [
      ...networkAndImage(ctx, snap, spec.image),
      // Created or recreated only once the scrape URL answers mod_status' page (scrape_check.ts).
      container &&
      afterScrapeCheck(
        container,
        ctx.ssh,
        scrapeUri(ctx.facts, ctx.host.vars.docker_network),
        ctx.facts.apache,
      ),
    ];
    return Promise.resolve(changes.filter((c): c is Change => c !== null));
  },
};
