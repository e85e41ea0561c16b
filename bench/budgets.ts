/**
 * The bench's budgets: each limit, and the check of the measured figures against it (PASS, FAIL, or SKIP
 * when the run did not measure that figure). Pure: bench.ts measures, this decides.
 */

/** The limits (issue 16, tightened by issue 25): cold and no-op deploys, a fleet-size check, and the rest. */
export const BUDGET = {
  /** Cold deploy (Docker engine install included) against Ansible's cold run on the same hosts, at most this share. */
  coldVsAnsible: 0.25,
  /** Cold deploy of 2 lab hosts, median wall seconds (0.25 × the Ansible 61.4 s on this machine). */
  cold2Seconds: 15,
  /** Cold deploy of 6 lab hosts (0.25 × 194.3 s). */
  cold6Seconds: 48,
  /** No-op re-run of 2 lab hosts, median wall seconds of the CLI process. */
  noop2Seconds: 0.6,
  /** No-op re-run of 6 lab hosts. */
  noop6Seconds: 1.2,
  /** `verify-metrics` on 2 lab hosts. */
  verify2Seconds: 2,
  /** The monitoring containers resident together on one host after the soak (ps RSS), in MB. */
  containersMB: 250,
  /** Number of light hosts the fleet-size budgets are for. */
  lightHosts: 50,
  /** `deploy --check` on that many light hosts, wall seconds of the CLI process, on every run (the first too). */
  lightCheckSeconds: 3,
  /** CPU seconds the light hosts' side spends per host in one such check (the largest run). */
  lightHostCpuSeconds: 0.1,
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
  /** Median cold deploy, no-op re-run and verify-metrics, per lab host count. */
  lab: Map<number, { cold?: number; noop: number; verify: number }>;
  /** Median cold run of the Ansible playbook, per lab host count (`--ansible`). */
  ansibleCold?: Map<number, number>;
  /** The containers' resident memory after the soak, bytes. */
  containersBytes?: number;
  /**
   * `deploy --check` on light hosts: their number, the slowest run's seconds (every run counts, the first
   * included), the largest run's CPU seconds of the light hosts together (null: their cgroups were not
   * readable), the largest peak controller RSS in bytes.
   */
  lightCheck?: {
    hosts: number;
    seconds: number;
    peakRssBytes: number;
    forks?: number;
    hostsCpuSeconds?: number | null;
  };
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
  for (const [n, absolute] of [[2, BUDGET.cold2Seconds], [6, BUDGET.cold6Seconds]] as const) {
    const cold = f.lab.get(n)?.cold;
    const ansible = f.ansibleCold?.get(n);
    const name = `cold deploy vs Ansible, ${n} hosts`;
    out.push(
      cold === undefined || ansible === undefined
        ? { name, pass: null, figure: "n/a", limit: `needs --hosts ${n} --ansible` }
        : {
          name,
          pass: cold <= BUDGET.coldVsAnsible * ansible,
          figure: `${s2(cold)} s = ${(cold / ansible).toFixed(2)}× Ansible's ${s2(ansible)} s`,
          limit: `≤ ${BUDGET.coldVsAnsible}× (${s2(BUDGET.coldVsAnsible * ansible)} s)`,
        },
    );
    seconds(`cold deploy, ${n} hosts`, cold, absolute, `needs --hosts ${n}`);
  }
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
  seconds(`${check}, slowest run (the first included)`, lc?.seconds, BUDGET.lightCheckSeconds, needs);
  const cpu = `light hosts' CPU per host, ${check}, largest run`;
  out.push(
    lc === undefined || lc.hostsCpuSeconds == null
      ? {
        name: cpu,
        pass: null,
        figure: "n/a",
        limit: lc === undefined ? needs : "the light hosts' cgroups were not readable",
      }
      : {
        name: cpu,
        pass: lc.hostsCpuSeconds / lc.hosts <= BUDGET.lightHostCpuSeconds,
        figure: `${(lc.hostsCpuSeconds / lc.hosts).toFixed(3)} s`,
        limit: `≤ ${BUDGET.lightHostCpuSeconds.toFixed(3)} s`,
      },
  );
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
