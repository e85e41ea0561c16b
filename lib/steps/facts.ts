import type { Step } from "../engine/step.ts";

/**
 * Free space the install path needs before a deploy: config files are small, but Prometheus writes
 * its write-ahead log in segments of up to 128 MiB and compacts blocks next to the old ones.
 */
export const MIN_FREE_MB = 256;

/** Step 1: facts are gathered by the runner; this step reports them and checks prerequisites. */
export const factsStep: Step = {
  id: "facts",
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
    // Checked here, before any step changes the host: a full disk found later would fail half-way
    // through (a config written, its container not recreated) or leave Prometheus unable to write.
    if (f.diskFreeMb < MIN_FREE_MB) {
      throw new Error(
        `only ${f.diskFreeMb} MiB free under ${ctx.host.vars.install_dir}, need ${MIN_FREE_MB} ` +
          `(Prometheus' data and write-ahead log live there); free some space first`,
      );
    }
    return Promise.resolve([]);
  },
};
