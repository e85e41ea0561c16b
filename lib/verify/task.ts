import { parseCli, usage } from "../engine/cli.ts";
import { UsageError } from "../engine/errors.ts";
import { colour, say, warn } from "../engine/output.ts";
import { redact } from "../inventory/redact.ts";
import { pool } from "../engine/pool.ts";
import { selectFromOptions } from "../engine/selection.ts";
import { loadSecrets } from "../inventory/secrets.ts";
import { seconds } from "./evidence.ts";
import { printVerdict, verifyHost } from "./run.ts";

const EXTRA = { wait: { type: "string" }, live: { type: "boolean", default: false } } as const;

/** verify-metrics: proves, per host, that the scoreboard reaches Prometheus and its public endpoint. */
export async function verifyMetrics(args: string[]): Promise<number> {
  const started = performance.now();
  let parsed;
  try {
    parsed = parseCli("verify-metrics", args, EXTRA, "[--wait DURATION] [--live]");
    if (parsed.help) {
      say(usage("verify-metrics", "[--wait DURATION] [--live]"));
      return 0;
    }
    if (parsed.opts.check || parsed.opts.diff) {
      throw new UsageError("verify-metrics only reads: --check and --diff don't apply");
    }
    const waitS = parsed.extra.wait ? seconds(String(parsed.extra.wait)) : 0;
    const { inventory, hosts } = await selectFromOptions(parsed.opts);
    if (parsed.opts.listHosts) {
      for (const h of hosts) say(h.name);
      return 0;
    }
    const secrets = await loadSecrets(inventory.secrets);
    const cred = secrets.frontend.credentials[0];
    const opts = { ...parsed.opts, waitS, live: Boolean(parsed.extra.live) };
    const verdicts = await pool(hosts, opts.forks, async (h) => {
      const v = await verifyHost(h, cred, opts);
      if (!opts.json) printVerdict(v);
      return v;
    });
    const code = (verdicts.some((v) => v.status === "failed") ? 2 : 0) |
      (verdicts.some((v) => v.status === "unreachable") ? 4 : 0);
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
  } catch (e) {
    if (e instanceof UsageError || (e instanceof Error && /duration/.test(e.message))) {
      warn(`error: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
}
