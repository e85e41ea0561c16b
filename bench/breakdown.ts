/**
 * Pure parts of the bench's report for issue 25: the cold deploy's per-step breakdown read from the
 * deploy's `--json` host reports, and the side-by-side table with Ansible.
 */
import { secs, summarize, type Summary, table } from "./stats.ts";

/** What the breakdown reads of one host's report (lib/engine/report.ts's HostReport, loosely typed). */
export interface ReportedHost {
  host: string;
  seconds: number;
  steps: ({ step: string; seconds: number } & Record<string, unknown>)[];
}

/** One row of the breakdown: seconds per host (median over hosts, then over runs), bytes when reported. */
export interface BreakdownRow {
  /** A step id, `before steps` (connection, lock, probe), or `step.part` for a part a step reports. */
  name: string;
  seconds: Summary;
  /** Image bytes sent to one host (same medians), when the report carries them. */
  bytesSent: Summary | null;
}

/** Keys under which a step may report the bytes it sent (another helper adds them; absent today). */
const BYTES_KEY = /^bytes_?sent$|^sentBytes$/i;

/**
 * Bytes a step reports it sent to its host: a numeric `bytesSent`/`bytes_sent` on the step, plus those of
 * the objects in its arrays (one per image, say). Null when the step reports none.
 */
export function stepBytesSent(step: Record<string, unknown>): number | null {
  let total: number | null = null;
  const add = (o: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(o)) {
      if (BYTES_KEY.test(k) && typeof v === "number") total = (total ?? 0) + v;
    }
  };
  add(step);
  for (const v of Object.values(step)) {
    if (Array.isArray(v)) {
      for (const o of v) {
        if (o && typeof o === "object" && !Array.isArray(o)) add(o as Record<string, unknown>);
      }
    }
  }
  return total;
}

/**
 * Parts of a step's seconds the report splits out, when it does: a `parts`, `phases` or `timings` object
 * of numbers (`{ transfer: 9.1, container: 1.2 }`). Empty when it doesn't.
 */
export function stepParts(step: Record<string, unknown>): [string, number][] {
  for (const key of ["parts", "phases", "timings"]) {
    const v = step[key];
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.entries(v as Record<string, unknown>).filter((e): e is [string, number] =>
        typeof e[1] === "number"
      );
    }
  }
  return [];
}

const median = (xs: number[]) => summarize(xs).median;

/**
 * The breakdown of some cold runs (each: every host's report): per row, the median over the hosts of each
 * run, summarized over the runs. Rows in the order of the first host's steps, `before steps` first.
 */
export function coldBreakdown(runs: ReportedHost[][]): BreakdownRow[] {
  const seconds = new Map<string, number[]>();
  const bytes = new Map<string, number[]>();
  const order: string[] = [];
  const put = (m: Map<string, number[]>, name: string, v: number) => {
    if (!order.includes(name)) order.push(name);
    (m.get(name) ?? m.set(name, []).get(name)!).push(v);
  };
  for (const hosts of runs.filter((r) => r.length)) {
    put(
      seconds,
      "before steps",
      median(hosts.map((h) => Math.max(0, h.seconds - h.steps.reduce((a, s) => a + s.seconds, 0)))),
    );
    const names = [...new Set(hosts.flatMap((h) => h.steps.map((s) => s.step)))];
    for (const name of names) {
      const mine = hosts.map((h) => h.steps.find((s) => s.step === name));
      put(seconds, name, median(mine.map((s) => s?.seconds ?? 0)));
      const sent = mine.map((s) => (s ? stepBytesSent(s) : null)).filter((b): b is number => b !== null);
      if (sent.length) (bytes.get(name) ?? bytes.set(name, []).get(name)!).push(median(sent));
      const parts = [...new Set(mine.flatMap((s) => (s ? stepParts(s).map(([k]) => k) : [])))];
      for (const part of parts) {
        put(
          seconds,
          `${name}.${part}`,
          median(mine.map((s) => (s ? stepParts(s) : []).find(([k]) => k === part)?.[1] ?? 0)),
        );
      }
    }
  }
  return order.map((name) => ({
    name,
    seconds: summarize(seconds.get(name)!),
    bytesSent: bytes.has(name) ? summarize(bytes.get(name)!) : null,
  }));
}

/** What the rows of the breakdown stand for (the engine / image transfer / containers split). */
const MEANING: Record<string, string> = {
  "before steps": "connection, host lock, batched probe",
  facts: "facts",
  docker: "Docker engine install and start, network",
  account: "system user",
  firewall: "nftables table and unit",
  apache: "status block, config test, graceful reload",
  exporter: "image transfer + container",
  prometheus: "files, image transfer + container",
  traefik: "files, image transfer + container",
};

/** The breakdown as printed lines: one row per step, seconds (median, min–max) and bytes sent. */
export function breakdownLines(rows: BreakdownRow[]): string[] {
  const anyBytes = rows.some((r) => r.bytesSent);
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  return table([
    ["step", "what", "s per host (median, min–max)", ...(anyBytes ? ["image bytes sent"] : [])],
    ...rows.map((r) => [
      r.name,
      MEANING[r.name] ?? (r.name.includes(".") ? "part reported by the step" : ""),
      `${secs(r.seconds.median)} (${secs(r.seconds.min)}–${secs(r.seconds.max)})`,
      ...(anyBytes ? [r.bytesSent ? mb(r.bytesSent.median) : ""] : []),
    ]),
  ]).split("\n");
}

/** One host count of the side-by-side: medians of wall seconds. */
export interface SideBySideRow {
  hosts: number;
  ansibleCold: number;
  oursCold: number;
  ansibleNoop: number;
  oursNoop: number;
  /** ours cold / Ansible cold. */
  ratio: number;
  /** Ansible no-op / ours no-op. */
  speedUp: number;
}

/** The row for one host count. */
export function sideBySideRow(
  hosts: number,
  ansible: { cold: number; noop: number },
  ours: { cold: number; noop: number },
): SideBySideRow {
  return {
    hosts,
    ansibleCold: ansible.cold,
    oursCold: ours.cold,
    ansibleNoop: ansible.noop,
    oursNoop: ours.noop,
    ratio: ours.cold / ansible.cold,
    speedUp: ansible.noop / ours.noop,
  };
}

/** The table, as Markdown (it is pasted into issues and docs as is). */
export function sideBySideTable(rows: SideBySideRow[], runs: number): string {
  const s1 = (s: number) => `${s.toFixed(1)} s`;
  return [
    `| hosts | Ansible cold | ours cold | ratio | Ansible no-op | ours no-op (median of ${runs}) | speed-up |`,
    "|---|---|---|---|---|---|---|",
    ...rows.map((r) =>
      `| ${r.hosts} | ${s1(r.ansibleCold)} | ${s1(r.oursCold)} | ${r.ratio.toFixed(2)}× | ${
        s1(r.ansibleNoop)
      } | ${r.oursNoop.toFixed(2)} s | ${Math.round(r.speedUp)}× |`
    ),
  ].join("\n");
}
