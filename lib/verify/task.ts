import { UsageError } from "../base/errors.ts";
import { colour, say } from "../base/output.ts";
import { redact } from "../base/redact.ts";
import { pool } from "../base/pool.ts";
import { EXIT, exitCode } from "../engine/report.ts";
import { startTask, usageGuard } from "../fleet/start.ts";
import { loadSecrets } from "../inventory/secrets.ts";
import { seconds } from "../base/duration.ts";
import { printVerdict, verifyHost } from "./run.ts";

const EXTRA = { wait: { type: "string" }, live: { type: "boolean", default: false } } as const;

/** verify-metrics: proves, per host, that the scoreboard reaches Prometheus and its public endpoint. */
export function verifyMetrics(args: string[]): Promise<number> {
  return usageGuard(async () => {
    const started = performance.now();
    let waitS = 0;
    const start = await startTask("verify-metrics", args, {
      extra: EXTRA,
      extraUsage: "[--wait DURATION] [--live]",
      validate: (opts, extra) => {
        if (opts.check || opts.diff) {
          throw new UsageError("verify-metrics only reads: --check and --diff don't apply");
        }
        try {
          waitS = extra.wait ? seconds(String(extra.wait)) : 0;
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
      },
    });
    if (!start) return EXIT.ok;
    const secrets = await loadSecrets(start.inventory.secrets);
    const cred = secrets.frontend.credentials[0];
    const opts = { ...start.opts, waitS, live: Boolean(start.extra.live) };
    const verdicts = await pool(start.hosts, opts.forks, async (h) => {
      const v = await verifyHost(h, cred, opts);
      if (!opts.json) printVerdict(v);
      return v;
    });
    const code = exitCode(verdicts);
    const secs = (performance.now() - started) / 1000;
    if (opts.json) {
      console.log(
        redact(
          JSON.stringify({ task: "verify-metrics", seconds: secs, exitCode: code, hosts: verdicts }, null, 2),
        ),
      );
    } else {
      const good = verdicts.filter((v) => v.status === "ok").length;
      say(colour.bold(`${good}/${verdicts.length} host(s) verified in ${secs.toFixed(1)}s`));
    }
    return code;
  });
}
