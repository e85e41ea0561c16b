import type { RunOptions } from "../engine/cli.ts";
import { colour, say, statusWord } from "../base/output.ts";
import { type HostReport, recapCounts } from "../engine/report.ts";

/** Prefixed output lines of one host and step (say() escapes the remote text in them). */
export function printer(host: string, step: string, opts: RunOptions) {
  const prefix = `${colour.bold(host.padEnd(10))} ${step.padEnd(13)}`;
  return {
    line: (s: string) => {
      if (!opts.json) say(`${prefix} ${s}`);
    },
    debug: (s: string) => {
      if (opts.verbose && !opts.json) {
        say(colour.dim(`${prefix} ${s.split("\n").join(`\n${" ".repeat(25)}`)}`));
      }
    },
  };
}

/** Colours a unified diff line. */
export function diffColour(l: string): string {
  if (l.startsWith("+") && !l.startsWith("+++")) return colour.green(l);
  if (l.startsWith("-") && !l.startsWith("---")) return colour.red(l);
  return l;
}

/** Prints a deployment's recap, as Ansible's PLAY RECAP (--json prints the fleet's document instead). */
export function recap(task: string, reports: HostReport[], opts: RunOptions, seconds: number): void {
  say("");
  say(colour.bold(`RECAP ${task}${opts.check ? " (check mode: nothing was changed)" : ""}`));
  const shown = (st: string) => (opts.check && st === "changed" ? "would change" : st);
  for (const r of reports) {
    const c = recapCounts(r);
    say(
      `${colour.bold(r.host.padEnd(10))} ${statusWord(shown(r.status)).padEnd(useWidth(shown(r.status)))} ` +
        `ok=${c.ok} changed=${c.changed} failed=${c.failed} unreachable=${c.unreachable}  ` +
        colour.dim(`${r.seconds.toFixed(1)}s`),
    );
  }
  const skipped = reports.filter((r) => r.status === "not started").map((r) => r.host);
  if (skipped.length) {
    const failed = reports.filter((r) => r.status === "failed" || r.status === "unreachable").map((r) =>
      r.host
    );
    say(
      colour.red(
        `not started: ${skipped.join(", ")} (rolling deploy stopped after ${failed.join(", ")} failed)`,
      ),
    );
  }
  const changes = reports.reduce((n, r) => n + r.steps.reduce((m, s) => m + s.changes.length, 0), 0);
  const verdict = changes === 0
    ? "no changes"
    : `${changes} change(s)${opts.check ? " planned, none applied" : ""}`;
  say(colour.dim(`${reports.length} host(s) in ${seconds.toFixed(1)}s: ${verdict}`));
}

function useWidth(status: string): number {
  return 12 + (statusWord(status).length - status.length);
}
