import { runStep } from "../lib/runner.ts";
import type { Step } from "../lib/step.ts";

/** Step 1: facts are gathered by the runner; this step reports them and checks prerequisites. */
export const factsStep: Step = {
  id: "facts",
  title: "Prerequisites and facts",
  plan: (ctx) => {
    const f = ctx.facts;
    const a = f.apache;
    ctx.debug(
      `${f.os.prettyName}; apache ${a ? `${a.version} (${a.mpm}, ${a.service})` : "absent"}; ` +
        `docker ${f.docker.version ?? (f.docker.installed ? "stopped" : "absent")}; ${f.diskFreeMb} MiB free`,
    );
    if (f.os.family === "unknown") {
      throw new Error(`unsupported OS '${f.os.prettyName}' (RHEL family or Debian/Ubuntu)`);
    }
    if (f.init !== "systemd") throw new Error("systemd is required (services, restart at boot)");
    if (!a) throw new Error("no Apache httpd found (looked for /usr/sbin/httpd and /usr/sbin/apache2)");
    return Promise.resolve([]);
  },
};

if (import.meta.main) await runStep(factsStep);
