/**
 * Pure parts of the bench's report for issue 25: the cold deploy's per-step breakdown read from the
 * deploy's `--json` host reports, and the side-by-side table with Ansible.
 */
import type { HostReport, ImageTransfer, StepReport } from "../lib/engine/report.ts";
import { secs, summarize, type Summary, table } from "./stats.ts";

/** What the breakdown reads of one host's report (lib/engine/report.ts's HostReport). */
export type ReportedHost = Pick<HostReport, "host" | "seconds" | "transfers"> & {
  steps: Pick<StepReport, "step" | "seconds">[];
};

/** One row of the breakdown: seconds per host (median over hosts, then over runs), bytes when reported. */
export interface BreakdownRow {
  /** A step id, `before steps` (connection, lock, probe), or `image transfer` (the report's `transfers`). */
  name: string;
  seconds: Summary;
  /** Image bytes sent to one host (same medians): on the `image transfer` row. */
  bytesSent: Summary | null;
}

const median = (xs: number[]) => summarize(xs).median;

/** The row of the images a push sent: it overlaps the steps (the engine install, the container steps). */
const TRANSFER = "image transfer";

/**
 * The breakdown of some cold runs (each: every host's report): per row, the median over the hosts of each
 * run, summarized over the runs. Rows in the order of the first host's steps, `before steps` first, and
 * `image transfer` last when the hosts' reports list pushed images (`transfers`, image_delivery: push).
 */
export function coldBreakdown(runs: ReportedHost[][]): BreakdownRow[] {
  const seconds = new Map<string, number[]>();
  const bytes: number[] = [];
  const order: string[] = [];
  const put = (name: string, v: number) => {
    if (!order.includes(name)) order.push(name);
    (seconds.get(name) ?? seconds.set(name, []).get(name)!).push(v);
  };
  for (const hosts of runs.filter((r) => r.length)) {
    put(
      "before steps",
      median(hosts.map((h) => Math.max(0, h.seconds - h.steps.reduce((a, s) => a + s.seconds, 0)))),
    );
    const names = [...new Set(hosts.flatMap((h) => h.steps.map((s) => s.step)))];
    for (const name of names) {
      put(name, median(hosts.map((h) => h.steps.find((s) => s.step === name)?.seconds ?? 0)));
    }
    const pushed = hosts.filter((h) => h.transfers?.length);
    if (pushed.length) {
      const sum = (h: ReportedHost, f: (t: ImageTransfer) => number) =>
        (h.transfers ?? []).reduce((a, t) => a + f(t), 0);
      put(TRANSFER, median(pushed.map((h) => sum(h, (t) => t.seconds))));
      bytes.push(median(pushed.map((h) => sum(h, (t) => t.bytes))));
    }
  }
  return order.map((name) => ({
    name,
    seconds: summarize(seconds.get(name)!),
    bytesSent: name === TRANSFER && bytes.length ? summarize(bytes) : null,
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
  [TRANSFER]: "images pushed (overlaps the engine install and the steps)",
};

/** The breakdown as printed lines: one row per step, seconds (median, min–max) and bytes sent. */
export function breakdownLines(rows: BreakdownRow[]): string[] {
  const anyBytes = rows.some((r) => r.bytesSent);
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  return table([
    ["step", "what", "s per host (median, min–max)", ...(anyBytes ? ["image bytes sent"] : [])],
    ...rows.map((r) => [
      r.name,
      MEANING[r.name] ?? "",
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
