import type { Change } from "../engine/change.ts";
import { exporterSpec } from "../containers/builders.ts";
import { containerChange, dockerFor, imageChangeFor, networkChange } from "../containers/changes.ts";
import type { Step } from "../engine/step.ts";

/** Step 5: the apache_exporter container, scraping mod_status at the Docker bridge gateway. */
export const exporterStep: Step = {
  id: "exporter",
  title: "apache_exporter container",
  plan: async (ctx) => {
    const v = ctx.host.vars;
    const spec = exporterSpec(ctx.host, ctx.facts);
    const docker = await dockerFor(ctx);
    const changes: (Change | null)[] = [
      await networkChange(docker, v.docker_network),
      await imageChangeFor(ctx, docker, spec.image),
      await containerChange(docker, ctx.ssh, spec, {}, { progress: ctx.progress }),
    ];
    return changes.filter((c): c is Change => c !== null);
  },
};
