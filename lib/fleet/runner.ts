/** The deployment tasks: every selected step on every host, as the fleet runner's per-host function. */
import { RemoteError, UnreachableError } from "../base/errors.ts";
import { mergeNeeds } from "../facts/needs.ts";
import type { Host } from "../inventory/host.ts";
import { colour, printable, say, statusWord } from "../base/output.ts";
import { redact } from "../base/redact.ts";
import type { HostReport, StepReport } from "../engine/report.ts";
import { applyChange } from "../engine/change.ts";
import type { HostContext, Step } from "../steps/step.ts";
import { hostContext } from "../steps/context.ts";
import { precacheImages, prefetchImages } from "../steps/container_recipe.ts";
import { diffColour, printer, recap } from "./recap.ts";
import { type FleetRun, type FleetTask, probeHost, runFleet, withSession } from "./fleet.ts";
import type { ExtraFlags } from "../engine/cli.ts";
import type { TaskFlags } from "./start.ts";

// Failure messages carry remote stderr and lock holder lines: the host must not drive the terminal.
function errorText(e: unknown): string {
  return printable(redact(e instanceof Error ? e.message : String(e)));
}

/** Runs the steps on one host; never throws (failures land in the report). */
export async function runHost(
  host: Host,
  steps: Step[],
  run: Pick<FleetRun, "opts" | "secrets">,
): Promise<HostReport> {
  const { opts } = run;
  const started = performance.now();
  const report: HostReport = { host: host.name, status: "ok", steps: [], seconds: 0 };
  let step = "connect";
  const p = () => printer(host.name, step, opts);
  try {
    await withSession(host, (l) => p().debug(l), async (ssh) => {
      step = opts.check ? "facts" : "lock";
      const who = `${Deno.env.get("USER") ?? "root"}@${Deno.hostname()} pid ${Deno.pid} since ${
        new Date().toISOString()
      }`;
      // Everything the selected steps read to plan comes in the same probe as the facts, run under the
      // lock in the lock's own session: one round trip after the connection, and no state read
      // before the lock is ours. Check mode takes no lock and only probes.
      const needs = mergeNeeds(steps.map((s) => s.needs?.(host) ?? {}));
      const lock = opts.check ? undefined : { owner: who, debug: (l: string) => p().debug(l) };
      const probed = await probeHost(ssh, needs, lock);
      try {
        step = "facts";
        const ctx = hostContext(ssh, { ...probed.state, needs }, opts, run.secrets, {
          debug: (l) => p().debug(l),
          progress: (l) => p().line(colour.dim(`… ${l}`)),
          transferred: (t) => (report.transfers ??= []).push(t),
        });
        try {
          await planAndApply(ctx, steps, report, (id) => (step = id));
        } finally {
          // A delivery the prefetch started is never left running past the host's session and lock.
          await ctx.deliveries?.settle();
        }
      } finally {
        await probed.lock?.release();
      }
    });
  } catch (e) {
    report.status = e instanceof UnreachableError ? "unreachable" : "failed";
    report.error = errorText(e);
    p().line(`${statusWord(report.status)}: ${report.error}`);
  } finally {
    report.seconds = (performance.now() - started) / 1000;
  }
  return report;
}

/**
 * Plans and applies each step in turn on one host, into `report`; stops at the first failed step.
 * An unreachable host is thrown (the whole host's outcome), not a step's failure.
 */
export async function planAndApply(
  ctx: HostContext,
  steps: Step[],
  report: HostReport,
  enter: (step: string) => void,
): Promise<void> {
  const { opts } = ctx;
  let stale = false;
  // Set once the step that starts the engine has run: the later steps' images start travelling then.
  let engineUp = false;
  // Resolved when that step has run, rejected when it failed: images sent to the host's cache while
  // it ran wait for it before they load.
  let engineReady: (() => void) | undefined;
  let engineFailed: ((e: Error) => void) | undefined;
  const engine = new Promise<void>((res, rej) => [engineReady, engineFailed] = [res, rej]);
  engine.catch(() => {});
  try {
    for (const [i, s] of steps.entries()) {
      enter(s.id);
      const p = () => printer(ctx.host.name, s.id, opts);
      const t0 = performance.now();
      const sr: StepReport = { step: s.id, status: "ok", changes: [], seconds: 0 };
      report.steps.push(sr);
      try {
        // A step that changed the host may have changed what the next one reads: probe again.
        if (stale) await ctx.refreshFacts();
        stale = false;
        if (engineUp) {
          engineUp = false;
          const started = prefetchImages(ctx, steps.slice(i));
          if (started.length) ctx.debug(`delivering in the background: ${started.join(", ")}`);
        }
        const changes = await s.plan(ctx);
        if (s.startsEngine && changes.length) {
          const cached = precacheImages(ctx, steps.slice(i + 1), engine);
          if (cached.length) {
            ctx.debug(`sending to the host's cache while the engine installs: ${cached.join(", ")}`);
          }
        }
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
            const probes = ctx.probes;
            await applyChange(ctx.ssh, c);
            // An apply that probed again (the engine's start, the network, the account) did so after
            // its last write: the next step plans from that probe, not from one more.
            stale = ctx.probes === probes;
          }
        }
        sr.status = changes.length ? "changed" : "ok";
        engineUp = Boolean(s.startsEngine) && !opts.check;
        if (engineUp) engineReady?.();
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
        return;
      }
    }
    if (report.steps.some((s) => s.status === "changed")) report.status = "changed";
  } finally {
    engineFailed?.(new Error("the Docker engine step did not complete"));
  }
}

/** The deployment task of `steps`: the fleet runner's per-host function is `runHost`. */
export function deployTask(
  task: string,
  steps: Step[],
  flags?: TaskFlags<ExtraFlags>,
): FleetTask<HostReport, void> {
  return {
    name: task,
    flags,
    serial: true,
    changesHosts: true,
    // Ctrl-C: stop at once with a clear word. Every file is written to a temp file and renamed, so a
    // host is never left with a half-written file; the host lock dies with our SSH session.
    onInterrupt: `\ninterrupted: ${task} stopped; no file is half-written; run it again to finish the job`,
    prepare: async (run) => {
      // Fail before touching any host when secrets are needed and broken.
      if (steps.some((s) => s.needsSecrets)) await run.secrets();
      if (!run.opts.json) {
        say(colour.bold(
          `${task} on ${run.hosts.map((h) => h.name).join(", ")}${run.opts.check ? " (check mode)" : ""}`,
        ));
      }
    },
    printBatch: (batch, size) =>
      say(colour.dim(`batch (--serial ${size}): ${batch.map((h) => h.name).join(", ")}`)),
    host: (h, run) => runHost(h, steps, run),
    outcome: (r) => r.status,
    finish: (reports, run) => ({
      lead: { check: run.opts.check, seconds: run.seconds() },
      rest: { hosts: reports },
      recap: () => recap(task, reports, run.opts, run.seconds()),
    }),
  };
}

/** Entry point of a deployment task: parse flags, select hosts, run the steps, recap, exit. */
export function runSteps(
  task: string,
  steps: Step[],
  args: string[] = Deno.args,
  flags?: TaskFlags<ExtraFlags>,
): Promise<number> {
  return runFleet(deployTask(task, steps, flags), args);
}

/** Runs a task's steps and exits with the run's code. */
export async function main(
  task: string,
  steps: Step[],
  args: string[] = Deno.args,
  flags?: TaskFlags<ExtraFlags>,
): Promise<never> {
  Deno.exit(await runSteps(task, steps, args, flags));
}

/** Runs one step alone (facts are always gathered first) and exits. */
export function runStep(step: Step): Promise<never> {
  return main(step.id, [step]);
}
