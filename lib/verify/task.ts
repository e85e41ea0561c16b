import { UsageError } from "../base/errors.ts";
import { colour, say } from "../base/output.ts";
import { seconds } from "../base/duration.ts";
import { type HostVerdict, printVerdict, verifyHost } from "./run.ts";
import { type FleetTask, runFleet } from "../fleet/fleet.ts";
import type { RunOptions } from "../engine/cli.ts";
import type { Credential } from "../inventory/secrets.ts";

const EXTRA = {
  wait: {
    type: "string",
    value: "DURATION",
    help: "keep asking for up to DURATION (e.g. 60s, 2m) until every check passes",
    example: "deno task verify-metrics --wait 60s",
  },
  live: {
    type: "boolean",
    default: false,
    help: "hold 8 slow requests open on Apache and show them as `read` workers in the scoreboard",
    example: "deno task verify-metrics --live --limit isaqal09",
  },
} as const;

/** What verify-metrics gives every host: the credential it checks with and the options with its flags. */
interface VerifyInput {
  cred: Credential;
  opts: RunOptions & { waitS: number; live: boolean };
}

/** The verify-metrics task: `verifyHost` on every host, then one line of totals. */
export const verifyTask: FleetTask<HostVerdict, VerifyInput> = {
  name: "verify-metrics",
  flags: {
    extra: EXTRA,
    validate: (opts, extra) => {
      if (opts.check || opts.diff) {
        throw new UsageError("verify-metrics only reads: --check and --diff don't apply");
      }
      waitSeconds(extra.wait);
    },
  },
  prepare: async (run) => {
    const secrets = await run.secrets();
    const waitS = waitSeconds(run.extra.wait);
    return {
      cred: secrets.frontend.credentials[0],
      opts: { ...run.opts, waitS, live: Boolean(run.extra.live) },
    };
  },
  host: (h, _run, { cred, opts }) => verifyHost(h, cred, opts),
  outcome: (v) => v.status,
  printHost: printVerdict,
  finish: (verdicts, run) => {
    const secs = run.seconds();
    return {
      lead: { seconds: secs },
      rest: { hosts: verdicts },
      recap: () => {
        const good = verdicts.filter((v) => v.status === "ok").length;
        say(colour.bold(`${good}/${verdicts.length} host(s) verified in ${secs.toFixed(1)}s`));
      },
    };
  },
};

/** `--wait` in seconds (0 when not given); a bad duration is a usage error. */
function waitSeconds(wait: string | boolean | undefined): number {
  try {
    return wait ? seconds(String(wait)) : 0;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** verify-metrics: proves, per host, that the scoreboard reaches Prometheus and its public endpoint. */
export function verifyMetrics(args: string[]): Promise<number> {
  return runFleet(verifyTask, args);
}
