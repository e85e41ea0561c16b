/** Outcome of one step on one host. */
export interface StepReport {
  step: string;
  status: "ok" | "changed" | "failed" | "skipped";
  changes: { summary: string; diff?: string }[];
  error?: string;
  seconds: number;
}

/** Outcome of a run on one host. */
export interface HostReport {
  host: string;
  /** `not started`: a rolling deploy (--serial) stopped before this host's batch. */
  status: "ok" | "changed" | "failed" | "unreachable" | "not started";
  steps: StepReport[];
  error?: string;
  seconds: number;
}

/** Exit code of a run: 0 all good, 2 a host failed, 4 a host was unreachable (both: 6). */
export function exitCode(hosts: HostReport[]): number {
  let code = 0;
  if (hosts.some((h) => h.status === "failed")) code |= 2;
  if (hosts.some((h) => h.status === "unreachable")) code |= 4;
  return code;
}

/** Recap counts for one host, as Ansible's PLAY RECAP shows them. */
export function recapCounts(
  h: HostReport,
): { ok: number; changed: number; failed: number; unreachable: number } {
  return {
    ok: h.steps.filter((s) => s.status === "ok").length,
    changed: h.steps.filter((s) => s.status === "changed").length,
    // A host can fail before any step (the lock is held by another run): still one failure.
    failed: h.steps.filter((s) => s.status === "failed").length ||
      (h.status === "failed" ? 1 : 0),
    unreachable: h.status === "unreachable" ? 1 : 0,
  };
}
