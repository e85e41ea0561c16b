import type Docker from "dockerode";
import type { Change } from "../engine/change.ts";
import type { Facts } from "../facts/facts.ts";
import type { Probed, ProbeNeeds } from "../facts/needs.ts";
import type { Host } from "../inventory/host.ts";
import type { Secrets } from "../inventory/secrets.ts";
import type { Ssh } from "../transport/ssh.ts";
import type { RunOptions } from "../engine/cli.ts";
import type { ImageTransfer } from "../engine/report.ts";
import type { ImageDeliveries } from "../containers/deliveries.ts";

/** Everything a step may use on one host. */
export interface HostContext {
  host: Host;
  ssh: Ssh;
  /** Facts gathered once per host per run, refreshed after a step that changes them (e.g. Docker install). */
  facts: Facts;
  /** What the steps' `needs` asked, read in the same batched probe as the facts (and refreshed with them). */
  probed: Probed;
  /** Secrets of the host's deployment, loaded once on first use. */
  secrets: () => Promise<Secrets>;
  /** dockerode client on the host's engine, through the SSH connection's forwarded socket. */
  docker: () => Promise<Docker>;
  opts: RunOptions;
  /** A verbose line (shown with -v). */
  debug: (line: string) => void;
  /** A progress line for long waits (shown unless --json). */
  progress: (line: string) => void;
  /**
   * Probes the host again and replaces `facts` and `probed` (after a step changed the host), counting it
   * in `probes`. A change's apply that calls it does so after its last write to the host.
   */
  refreshFacts: () => Promise<void>;
  /**
   * Probes of the host so far, the first included: a change whose apply probed again left the facts
   * fresh, so the runner does not probe once more before the next step.
   */
  probes: number;
  /** The run's image deliveries on this host (started early by the runner's prefetch); none: each change delivers alone. */
  deliveries?: ImageDeliveries;
  /** Receives what each push sent (the host report's `transfers`). */
  transferred?: (t: ImageTransfer) => void;
}

/** A deployment step: returns the changes it would make, planned from the batched probe. */
export interface Step {
  /** Short id, as in `deno task <id>`. */
  id: string;
  /** The step reads secrets: they are loaded (and checked) before any host is contacted. */
  needsSecrets?: boolean;
  /** What the plan reads from the host, asked in the run's batched probe (no round trip of its own). */
  needs?: (host: Host) => ProbeNeeds;
  /**
   * The step leaves the Docker engine answering: once it has run (not under --check), the runner starts
   * delivering the later steps' images in the background (see prefetchImages).
   */
  startsEngine?: boolean;
  /** Plans from `ctx.facts` and `ctx.probed`; a step reaches the host again only to apply a change. */
  plan: (ctx: HostContext) => Promise<Change[]>;
}
