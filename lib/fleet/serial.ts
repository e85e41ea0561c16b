/**
 * Rolling deploys, as Ansible's `serial`: hosts in batches of N, and no next batch once a host of the
 * current one failed or could not be reached.
 */
import type { HostReport } from "../engine/report.ts";

/** Batch size in force: `--serial` when given, else the inventory's `serial`, else 1 in production, else all. */
export function serialSize(
  flag: number | undefined,
  inventory: { serial?: number | null; deployment: "qual" | "prod" },
  hosts: number,
): number {
  const n = flag ?? inventory.serial ?? (inventory.deployment === "prod" ? 1 : 0);
  return n <= 0 ? Math.max(1, hosts) : n;
}

/** Parses `--serial`: a whole number from 0 (all at once) up; undefined when not given. */
export function parseSerial(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) {
    throw new Error(`--serial takes a whole number (0 = all hosts at once), not '${v}'`);
  }
  return n;
}

/** The hosts in consecutive batches of `size`, in inventory order. */
export function batches<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size)) out.push(items.slice(i, i + Math.max(1, size)));
  return out;
}

/** A batch stops the rollout when one of its hosts failed or was unreachable. */
export function batchFailed(reports: HostReport[]): boolean {
  return reports.some((r) => r.status === "failed" || r.status === "unreachable");
}

/** Report of a host the rollout did not start, saying why. */
export function notStarted(host: string, failed: string[]): HostReport {
  return {
    host,
    status: "not started",
    steps: [],
    error: `not started: ${failed.join(", ")} failed in an earlier batch (--serial)`,
    seconds: 0,
  };
}

/**
 * Runs the batches one after the other with `run` (which runs one batch's hosts); after a failed
 * batch, every later host gets a `not started` report.
 */
export async function runSerial<T extends { name: string }>(
  hosts: T[],
  size: number,
  run: (batch: T[]) => Promise<HostReport[]>,
): Promise<HostReport[]> {
  const out: HostReport[] = [];
  const failed: string[] = [];
  for (const batch of batches(hosts, size)) {
    if (failed.length) {
      out.push(...batch.map((h) => notStarted(h.name, failed)));
      continue;
    }
    const reports = await run(batch);
    out.push(...reports);
    if (batchFailed(reports)) {
      failed.push(
        ...reports.filter((r) => r.status === "failed" || r.status === "unreachable").map((r) => r.host),
      );
    }
  }
  return out;
}
