import type { RunOptions } from "../engine/cli.ts";
import { RemoteError, UnreachableError, UsageError } from "../base/errors.ts";
import {
  gatherHost,
  hostProbeScript,
  type HostState,
  parseHostProbe,
  probeLogLine,
} from "../facts/gather.ts";
import { mergeNeeds } from "../facts/needs.ts";
import type { Host } from "../inventory/host.ts";
import type { Inventory } from "../inventory/load.ts";
import { colour, printable, say, statusWord, warn } from "../base/output.ts";
import { redact } from "../base/redact.ts";
import { EXIT, type HostReport, type StepReport } from "../engine/report.ts";
import { HostLock } from "../transport/host_lock.ts";
import { loadSecrets, type Secrets } from "../inventory/secrets.ts";
import { Ssh } from "../transport/ssh.ts";
import type { Step } from "../steps/step.ts";
import { hostContext } from "../steps/context.ts";
import { pool } from "../base/pool.ts";
import { confirmProd } from "./selection.ts";
import { startTask, usageGuard } from "./start.ts";
import { diffColour, finish, printer } from "./recap.ts";
import { parseSerial, runSerial, serialSize } from "./serial.ts";

// Failure messages carry remote stderr and lock holder lines: the host must not drive the terminal.
function errorText(e: unknown): string {
  return printable(redact(e instanceof Error ? e.message : String(e)));
}

/** Per-run shared state: one secrets load per deployment. */
class Shared {
  #secrets: Promise<Secrets> | undefined;
  constructor(readonly inventory: Inventory) {}
  secrets(): Promise<Secrets> {
    return (this.#secrets ??= loadSecrets(this.inventory.secrets));
  }
}

/** Runs the steps on one host; never throws (failures land in the report). */
export async function runHost(
  host: Host,
  steps: Step[],
  opts: RunOptions,
  shared: Shared,
): Promise<HostReport> {
  const started = performance.now();
  const report: HostReport = { host: host.name, status: "ok", steps: [], seconds: 0 };
  let step = "connect";
  const p = () => printer(host.name, step, opts);
  const ssh = new Ssh(host, { debug: (l) => p().debug(l) });
  let lock: HostLock | undefined;
  try {
    await ssh.open();
    step = opts.check ? "facts" : "lock";
    const who = `${Deno.env.get("USER") ?? "root"}@${Deno.hostname()} pid ${Deno.pid} since ${
      new Date().toISOString()
    }`;
    // Everything the selected steps read to plan comes in the same probe as the facts, run under the
    // lock in the lock's own session: one round trip after the connection, and no state read
    // before the lock is ours. Check mode takes no lock and only probes.
    const needs = mergeNeeds(steps.map((s) => s.needs?.(host) ?? {}));
    let state: HostState;
    if (opts.check) {
      state = await gatherHost(ssh, needs);
    } else {
      lock = await HostLock.acquire(ssh, who, {
        script: hostProbeScript(ssh, needs),
        what: probeLogLine(needs),
        log: (l) => p().debug(l),
      });
      state = parseHostProbe(lock.probed, needs);
    }
    step = "facts";
    const ctx = hostContext(ssh, { ...state, needs }, opts, () => shared.secrets(), {
      debug: (l) => p().debug(l),
      progress: (l) => p().line(colour.dim(`… ${l}`)),
    });
    let stale = false;
    for (const s of steps) {
      step = s.id;
      const t0 = performance.now();
      const sr: StepReport = { step: s.id, status: "ok", changes: [], seconds: 0 };
      report.steps.push(sr);
      try {
        // A step that changed the host may have changed what the next one reads: probe again.
        if (stale) await ctx.refreshFacts();
        stale = false;
        const changes = await s.plan(ctx);
        for (const c of changes) {
          sr.changes.push({
            summary: redact(c.summary),
            diff: c.diff === undefined ? undefined : redact(c.diff),
          });
          p().line(`${colour.yellow(opts.check ? "would" : "→")} ${c.summary}`);
          if (opts.diff && c.diff) {
            for (const l of redact(c.diff).split("\n")) p().line(`  ${diffColour(l)}`);
          }
          if (!opts.check) {
            stale = true;
            await c.apply();
          }
        }
        sr.status = changes.length ? "changed" : "ok";
        sr.seconds = (performance.now() - t0) / 1000;
        p().line(
          `${statusWord(sr.status === "changed" && opts.check ? "would change" : sr.status)}` +
            colour.dim(` (${sr.seconds.toFixed(1)}s)`),
        );
      } catch (e) {
        sr.seconds = (performance.now() - t0) / 1000;
        if (e instanceof UnreachableError) throw e;
        sr.status = "failed";
        sr.error = errorText(e);
        p().line(`${statusWord("failed")}: ${sr.error}`);
        if (opts.verbose && !(e instanceof RemoteError) && e instanceof Error && e.stack) p().debug(e.stack);
        report.status = "failed";
        break;
      }
    }
    if (report.status !== "failed" && report.steps.some((s) => s.status === "changed")) {
      report.status = "changed";
    }
  } catch (e) {
    report.status = e instanceof UnreachableError ? "unreachable" : "failed";
    report.error = errorText(e);
    p().line(`${statusWord(report.status)}: ${report.error}`);
  } finally {
    await lock?.release();
    await ssh.close().catch(() => {});
    report.seconds = (performance.now() - started) / 1000;
  }
  return report;
}

const SERIAL_FLAG = { serial: { type: "string" } } as const;
const SERIAL_USAGE = "[--serial N]";

/** `--serial` as a number (undefined when not given); a bad value is a usage error. */
function serialFlag(v: string | boolean | undefined): number | undefined {
  try {
    return parseSerial(v as string | undefined);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Entry point of a deployment task: parse flags, select hosts, run the steps, recap, exit. */
export function runSteps(task: string, steps: Step[], args: string[] = Deno.args): Promise<number> {
  return usageGuard(async () => {
    const started = performance.now();
    const start = await startTask(task, args, {
      extra: SERIAL_FLAG,
      extraUsage: SERIAL_USAGE,
      validate: (_opts, extra) => void serialFlag(extra.serial),
    });
    if (!start) return EXIT.ok;
    const { opts, hosts } = start;
    const serial = serialSize(serialFlag(start.extra.serial), start.inventory, hosts.length);
    confirmProd(hosts, opts, task);
    const shared = new Shared(start.inventory);
    // Fail before touching any host when secrets are needed and broken.
    if (steps.some((s) => s.needsSecrets)) await shared.secrets();
    // Ctrl-C: stop at once with a clear word. Every file is written to a temp file and renamed, so a
    // host is never left with a half-written file; the host lock dies with our SSH session.
    const onInterrupt = () => {
      warn(`\ninterrupted: ${task} stopped; no file is half-written; run it again to finish the job`);
      Deno.exit(EXIT.interrupted);
    };
    Deno.addSignalListener("SIGINT", onInterrupt);
    Deno.addSignalListener("SIGTERM", onInterrupt);
    if (!opts.json) {
      say(
        colour.bold(`${task} on ${hosts.map((h) => h.name).join(", ")}${opts.check ? " (check mode)" : ""}`),
      );
    }
    const reports = await runSerial(hosts, serial, (batch) => {
      if (serial < hosts.length && !opts.json) {
        say(colour.dim(`batch (--serial ${serial}): ${batch.map((h) => h.name).join(", ")}`));
      }
      return pool(batch, opts.forks, (h) => runHost(h, steps, opts, shared));
    });
    Deno.removeSignalListener("SIGINT", onInterrupt);
    Deno.removeSignalListener("SIGTERM", onInterrupt);
    return finish(task, reports, opts, started);
  });
}

/** Runs a task's steps and exits with the run's code. */
export async function main(task: string, steps: Step[], args: string[] = Deno.args): Promise<never> {
  Deno.exit(await runSteps(task, steps, args));
}

/** Runs one step alone (facts are always gathered first) and exits. */
export function runStep(step: Step): Promise<never> {
  return main(step.id, [step]);
}
