/**
 * Runs `deno test` under a watchdog (tasks/test.ts): a time limit on each test file and on the whole run,
 * so that a hang still ends in a summary CI can read (`FAILED | N passed | N failed`, naming what hung)
 * and `.ci/run` still tears the lab down. The child runs in its own session: a kill reaches the CLIs and
 * ssh clients the tests started, not the lab's engine (started with its own setsid).
 */

/** Limits of a watched run, in milliseconds. */
export interface SuiteLimits {
  /** Longest one test file may run (from deno test's `running … from ./file` line to the next file). */
  fileMs: number;
  /** Longest the whole run may take. */
  totalMs: number;
}

/** Limits for CI's 90 minutes: today the whole suite takes about 25 minutes and its longest file 6. */
export const DEFAULT_LIMITS: SuiteLimits = { fileMs: 15 * 60_000, totalMs: 55 * 60_000 };

/** What the watchdog learnt from deno test's output. */
export interface SuiteState {
  /** Test file running now (as deno test names it: `./tests/lab/x_test.ts`). */
  file: string | null;
  /** When it started (ms since the epoch). */
  fileSince: number;
  /** Top-level tests passed and failed so far (steps are indented, and counted by deno test inside their test). */
  passed: number;
  failed: number;
  /** deno test's own summary line, when it printed one. */
  summary: string | null;
}

/** A fresh state at `now`. */
export function newState(now: number): SuiteState {
  return { file: null, fileSince: now, passed: 0, failed: 0, summary: null };
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Updates `s` with one line of deno test's output (colours allowed). */
export function readLine(s: SuiteState, raw: string, now: number): void {
  const line = raw.replace(ANSI, "");
  const running = /^running \d+ tests? from (\S+)/.exec(line);
  if (running) {
    s.file = running[1];
    s.fileSince = now;
    return;
  }
  if (/^(ok|FAILED) \| \d+ passed/.test(line)) s.summary = line;
  else if (/^\S.* \.\.\. ok\b/.test(line)) s.passed++;
  else if (/^\S.* \.\.\. FAILED\b/.test(line)) s.failed++;
}

/** A limit as people read it: `15 min`, `2 s`. */
function span(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

/** Why the run must stop now, or null: a file over its limit, or the whole run over its own. */
export function overLimit(s: SuiteState, started: number, now: number, limits: SuiteLimits): string | null {
  if (s.file && now - s.fileSince > limits.fileMs) {
    return `${s.file} hung: still running after ${span(limits.fileMs)} (its limit)`;
  }
  if (now - started > limits.totalMs) {
    return `the suite ran over its ${span(limits.totalMs)} limit` +
      (s.file ? ` (in ${s.file})` : "");
  }
  return null;
}

/** deno test's summary line for a run the watchdog stopped: what passed before, what hung counts as failed. */
export function stoppedSummary(s: SuiteState, why: string): string {
  return `FAILED | ${s.passed} passed | ${s.failed + 1} failed (stopped by the watchdog: ${why})`;
}

/** Runs `deno test <args>` under the watchdog; passes its output through; returns its exit code. */
export async function watchedTest(args: string[], limits: SuiteLimits = DEFAULT_LIMITS): Promise<number> {
  const started = Date.now();
  const state = newState(started);
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), "test", ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let stopped: string | null = null;
  const timer = setInterval(() => {
    const why = overLimit(state, started, Date.now(), limits);
    if (!why || stopped) return;
    stopped = why;
    console.log(`\nwatchdog: ${why}; stopping the test run`);
    // The whole session: deno test and every CLI or ssh a test started.
    for (const [sig, after] of [["SIGTERM", 0], ["SIGKILL", 10_000]] as const) {
      setTimeout(() => {
        try {
          Deno.kill(-child.pid, sig);
        } catch { /* already gone */ }
      }, after);
    }
  }, 1000);
  const enc = new TextEncoder();
  const pump = (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      await Deno.stdout.write(enc.encode(chunk));
      buf += chunk;
      const lines = buf.split("\n");
      buf = lines.pop()!;
      for (const l of lines) readLine(state, l, Date.now());
    }
  })();
  const status = await child.status;
  clearInterval(timer);
  // A process a test left behind may still hold the pipe: the output that matters is in by now.
  let drained: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([pump, new Promise((r) => drained = setTimeout(r, 5000))]);
  clearTimeout(drained);
  if (stopped) {
    console.log(`\n${stoppedSummary(state, stopped)}`);
    return 1;
  }
  return status.code;
}
