import type { Change } from "../lib/change.ts";
import { exporterSpec } from "../lib/containers/builders.ts";
import { containerChange, dockerFor, imageChangeFor, networkChange } from "../lib/containers/changes.ts";
import { runStep } from "../lib/runner.ts";
import type { Step } from "../lib/step.ts";

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
      await containerChange(docker, ctx.ssh, spec, {}),
    ];
    return changes.filter((c): c is Change => c !== null);
  },
};

if (import.meta.main) await runStep(exporterStep);
