/**
 * The bench's budgets: each limit, and the check of the measured figures against it (PASS, FAIL, or SKIP
 * when the run did not measure that figure). Pure: bench.ts measures, this decides.
 */

/** The limits (issue 16): no-op re-runs on an otherwise idle lab, a fleet-size check, and those of before. */
export const BUDGET = {
  /** No-op re-run of 2 lab hosts, median wall seconds of the CLI process. */
  noop2Seconds: 1.0,
  /** No-op re-run of 6 lab hosts. */
  noop6Seconds: 1.3,
  /** `verify-metrics` on 2 lab hosts. */
  verify2Seconds: 2,
  /** The monitoring containers resident together on one host after the soak (ps RSS), in MB. */
  containersMB: 250,
  /** Number of light hosts the fleet-size budgets are for. */
  lightHosts: 50,
  /** `deploy --check` on that many light hosts, median wall seconds of the CLI process. */
  lightCheckSeconds: 3,
  /** Peak resident memory of the controller's deno process in that run (the largest of the runs), in MB. */
  lightCheckControllerMB: 250,
} as const;

/** One budget's verdict: `pass` null when the run did not measure it (`limit` then says what it needs). */
export interface Budget {
  name: string;
  pass: boolean | null;
  figure: string;
  limit: string;
}

/** What the budgets look at: medians (seconds) and memory (bytes) the bench measured, absent when not run. */
export interface BudgetFigures {
  /** Median no-op re-run and verify-metrics, per lab host count. */
  lab: Map<number, { noop: number; verify: number }>;
  /** The containers' resident memory after the soak, bytes. */
  containersBytes?: number;
  /** `deploy --check` on light hosts: their number, median seconds, peak controller RSS in bytes. */
  lightCheck?: { hosts: number; seconds: number; peakRssBytes: number; forks?: number };
}

const s2 = (s: number) => s.toFixed(2);
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

/** Every budget, in a fixed order, checked against the figures (limits are inclusive: ≤). */
export function evaluateBudgets(f: BudgetFigures): Budget[] {
  const out: Budget[] = [];
  const seconds = (name: string, figure: number | undefined, limit: number, needs: string) =>
    out.push(
      figure === undefined
        ? { name, pass: null, figure: "n/a", limit: needs }
        : { name, pass: figure <= limit, figure: `${s2(figure)} s`, limit: `≤ ${s2(limit)} s` },
    );
  seconds("no-op re-run, 2 hosts", f.lab.get(2)?.noop, BUDGET.noop2Seconds, "needs --hosts 2");
  seconds("no-op re-run, 6 hosts", f.lab.get(6)?.noop, BUDGET.noop6Seconds, "needs --hosts 6");
  seconds("verify-metrics, 2 hosts", f.lab.get(2)?.verify, BUDGET.verify2Seconds, "needs --hosts 2");
  const name = "containers resident together";
  out.push(
    f.containersBytes === undefined ? { name, pass: null, figure: "n/a", limit: "needs --soak > 0" } : {
      name,
      pass: f.containersBytes / 1e6 <= BUDGET.containersMB,
      figure: `${mb(f.containersBytes)} MB`,
      limit: `≤ ${BUDGET.containersMB} MB`,
    },
  );
  const n = BUDGET.lightHosts;
  const lc = f.lightCheck && f.lightCheck.hosts >= n ? f.lightCheck : undefined;
  const needs = `needs --light ${n}`;
  const forks = lc?.forks === undefined ? "" : ` (--forks ${lc.forks})`;
  const check = `deploy --check, ${lc?.hosts ?? n} light hosts${forks}`;
  seconds(check, lc?.seconds, BUDGET.lightCheckSeconds, needs);
  const mem = `controller peak RSS, ${check}`;
  out.push(
    lc === undefined ? { name: mem, pass: null, figure: "n/a", limit: needs } : {
      name: mem,
      pass: lc.peakRssBytes / 1e6 < BUDGET.lightCheckControllerMB,
      figure: `${mb(lc.peakRssBytes)} MB`,
      limit: `< ${BUDGET.lightCheckControllerMB} MB`,
    },
  );
  return out;
}

/** Exit code of the bench from its budgets: 3 when one fails, else 0 (a skipped one fails nothing). */
export function budgetExitCode(budgets: Budget[]): 0 | 3 {
  return budgets.some((b) => b.pass === false) ? 3 : 0;
}

/** One printed line per budget: `PASS  name: figure limit` (SKIP when not measured). */
export function budgetLines(budgets: Budget[]): string[] {
  return budgets.map((b) =>
    `  ${b.pass === null ? "SKIP" : b.pass ? "PASS" : "FAIL"}  ${b.name}: ${b.figure} ${b.limit}`
  );
}

/** GNU time's format for the bench: peak RSS (KiB), then user and system CPU seconds of the process. */
export const GNU_TIME_FORMAT = "%M %U %S";

/**
 * Reads what GNU time wrote with GNU_TIME_FORMAT (the last line; a line such as "Command exited with
 * non-zero status 2" may come first): peak resident memory in bytes, CPU seconds (user + system).
 */
export function parseGnuTime(text: string): { peakRssBytes: number; cpuSeconds: number } {
  const line = text.trim().split("\n").reverse().find((l) => /^\d+ \d+(\.\d+)? \d+(\.\d+)?$/.test(l.trim()));
  if (line === undefined) throw new Error(`no "%M %U %S" line in GNU time's output: ${JSON.stringify(text)}`);
  const [kib, user, sys] = line.trim().split(" ").map(Number);
  return { peakRssBytes: kib * 1024, cpuSeconds: user + sys };
}
