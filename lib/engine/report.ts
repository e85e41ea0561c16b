/** Outcome of one step on one host. */
export interface StepReport {
  step: string;
  status: "ok" | "changed" | "failed";
  changes: { summary: string; diff?: string }[];
  error?: string;
  seconds: number;
}

/**
 * How a host came out of a run, whatever the task: the words every task's recap and JSON use.
 * `not started`: a rolling deploy (--serial) stopped before this host's batch.
 */
export type HostOutcome = "ok" | "changed" | "failed" | "unreachable" | "not started";

/** One image sent to a host by `image_delivery: push`: what travelled, for `-v`, the JSON and the bench. */
export interface ImageTransfer {
  image: string;
  /** Bytes written into the host's `docker load` (after compression when compressed). */
  bytes: number;
  /** Bytes of the rewritten archive before compression. */
  archiveBytes: number;
  /** Bytes of the controller's full `docker save` archive. */
  fullBytes: number;
  /** Layer files sent, and left out because the host had their chain. */
  layersSent: number;
  layersSkipped: number;
  compressed: boolean;
  /** Why the whole archive went (the containerd image store), when it did. */
  full?: string;
  /** Sent into the host-side cache while the engine installed, then loaded from there. */
  viaCache?: boolean;
  seconds: number;
}

/** Outcome of a run on one host. */
export interface HostReport {
  host: string;
  status: HostOutcome;
  steps: StepReport[];
  error?: string;
  seconds: number;
  /** Images pushed to the host in this run (`image_delivery: push`), in the order they were sent. */
  transfers?: ImageTransfer[];
}

/** Exit codes of every task (README "Exit codes"); a run's code is the OR of `failed` and `unreachable`. */
export const EXIT = {
  ok: 0,
  /** Bad usage or input: nothing was contacted. */
  usage: 1,
  /** A host failed (or, for grafana, the Grafana API did). */
  failed: 2,
  /** A host could not be reached. */
  unreachable: 4,
  /** Ctrl-C or SIGTERM (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;

/**
 * Exit code of a run of any task: 0 all good, 2 a host failed, 4 a host was unreachable, 6 both.
 * `otherFailure` is a failure that belongs to no host (grafana: the Grafana API refused).
 */
export function exitCode(hosts: readonly { status: HostOutcome }[], otherFailure = false): number {
  let code: number = EXIT.ok;
  if (otherFailure || hosts.some((h) => h.status === "failed")) code |= EXIT.failed;
  if (hosts.some((h) => h.status === "unreachable")) code |= EXIT.unreachable;
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
