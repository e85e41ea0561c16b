import type { Change } from "../engine/change.ts";
import { exporterSpec } from "../containers/builders.ts";
import { containerChange, dockerFor, networkAndImage } from "../containers/changes.ts";
import type { Step } from "../engine/step.ts";

/** Step 5: the apache_exporter container, scraping mod_status at the Docker bridge gateway. */
export const exporterStep: Step = {
  id: "exporter",
  plan: async (ctx) => {
    const spec = exporterSpec(ctx.host, ctx.facts);
    const docker = await dockerFor(ctx);
    const changes: (Change | null)[] = [
      ...(await networkAndImage(ctx, docker, spec.image)),
      await containerChange(docker, ctx.ssh, spec, {}, { progress: ctx.progress }),
    ];
    return changes.filter((c): c is Change => c !== null);
  },
};
