/** The changes of our containers and our network: create, reconcile by spec hash, remove. */
import type Docker from "dockerode";
import type { Change } from "../engine/change.ts";
import type { Ssh } from "../transport/ssh.ts";
import { probeHost } from "../facts/files_probe.ts";
import type { Facts } from "../facts/facts.ts";
import type { DockerNeeds, DockerSnapshot } from "../facts/docker_snapshot.ts";
import {
  type ContainerAction,
  decideAction,
  ensureNetwork,
  previousName,
  reconcileContainer,
  removeContainer,
  type SwapHooks,
} from "./reconcile.ts";
import { waitHttpReady } from "./readiness.ts";
import { dropCopies, restoreCopies } from "../commands/previous_files.ts";
import { exec } from "../transport/exec.ts";
import { type ContainerSpec, specHash } from "./spec.ts";
import { explainPortClash } from "./port_clash.ts";

/** Marks a mounted file whose content is only known after an earlier change applies (a new certificate). */
export const PENDING = Symbol("pending");
/** Desired content of each mounted file: text, null (absent), or PENDING. */
export type DesiredFiles = Record<string, string | null | typeof PENDING>;

/** The engine objects a container step reads to plan: its container (and the kept previous one), its image. */
export function containerNeeds(
  spec: { name: string; image: string },
  also: string[] = [],
): DockerNeeds {
  return {
    containers: [spec.name, previousName(spec.name), ...also],
    images: [spec.image],
  };
}

/**
 * The change that creates our Docker network; null when the facts list it (normally the Docker step
 * made it).
 */
export function networkChange(
  facts: Facts,
  name: string,
  docker: () => Promise<Docker>,
): Change | null {
  if (facts.docker.running && facts.docker.networkNames.includes(name)) return null;
  return {
    summary: `create Docker network ${name}`,
    apply: async () => await ensureNetwork(await docker(), name),
  };
}

/** Options of `containerChange`. */
export interface ContainerChangeOptions {
  /** Progress lines of the readiness wait. */
  progress?: (line: string) => void;
  /**
   * Mounted files whose previous content the step keeps (`keepingPrevious`) while it rewrites
   * them: put back when the new container fails, forgotten when it is ready.
   */
  kept?: string[];
  /** Of `kept`, those whose copy an interrupted run left on the host (probe commands/previous_files.ts' `copyPaths` to know). */
  leftover?: string[];
  /** Bound of the readiness wait. */
  timeoutMs?: number;
}

/**
 * The change that brings container `spec.name` to `spec` (create, recreate or start) and waits until
 * it is ready; null when it already runs with the same spec hash. The hash is computed again at
 * apply time from the files as they are on the host then, so it always describes what the
 * container really mounts. A container with our name but without our label stops the plan
 * (ForeignContainerError): it is never touched.
 */
export function containerChange(
  snap: DockerSnapshot | null,
  docker: () => Promise<Docker>,
  ssh: Ssh,
  spec: ContainerSpec,
  desired: DesiredFiles,
  opts: ContainerChangeOptions = {},
): Change | null {
  // Long on purpose: the action, then the one apply that swaps, waits and rolls back (shared state).
  const state = snap ? snap.ourContainer(spec.name) : null;
  const old = snap ? snap.ourContainer(previousName(spec.name)) : null;
  const kept = opts.kept ?? [];
  const pending = spec.files.some((f) => desired[f] === PENDING);
  let action: ContainerAction;
  let why = "";
  if (pending) {
    action = state ? "recreate" : "create";
    why = " (a mounted file is being regenerated)";
  } else {
    const hash = specHash(spec, desired as Record<string, string | null>);
    action = decideAction(state, hash);
    if (action === "recreate") {
      why = ` (spec hash ${state?.hash?.slice(0, 12) ?? "none"} → ${hash.slice(0, 12)})`;
    }
  }
  const hooks = (engine: Docker): SwapHooks => ({
    progress: opts.progress,
    waitReady: spec.ready
      ? (id) =>
        waitHttpReady(engine, ssh, id, spec.name, networkOf(spec), spec.ready!, {
          progress: opts.progress,
          timeoutMs: opts.timeoutMs,
        })
      : undefined,
    restoreFiles: kept.length ? async () => void await exec(ssh, restoreCopies(kept)) : undefined,
    dropFiles: kept.length
      ? async () =>
        void await exec(ssh, { ...dropCopies(kept), log: `forget the copies of ${kept.join(" ")}` })
      : undefined,
  });
  if (action === "none") {
    if (old) {
      return {
        summary: `finish the interrupted replacement of container ${spec.name}: remove ${
          previousName(spec.name)
        }`,
        apply: async () => {
          const engine = await docker();
          await reconcileContainer(engine, spec, state!.hash!, hooks(engine));
        },
      };
    }
    const left = opts.leftover ?? [];
    if (!left.length) return null;
    return {
      summary: `forget the copies of ${
        left.join(", ")
      } left by an interrupted run (${spec.name} runs with the current files)`,
      command: dropCopies(left),
    };
  }
  if (old) why += ` (an interrupted run left the previous one stopped as ${previousName(spec.name)})`;
  const summary = action === "start"
    ? `start container ${spec.name} (stopped)`
    : `${action === "create" ? "create and start" : "recreate"} container ${spec.name}${why}`;
  return {
    summary: spec.ready ? `${summary}; wait until ${spec.ready.what}` : summary,
    apply: async () => {
      const actual = spec.files.length ? (await probeHost(ssh, spec.files)).files : {};
      const engine = await docker();
      await reconcileContainer(engine, spec, specHash(spec, actual), hooks(engine)).catch((e) =>
        explainPortClash(ssh, spec.name, e)
      );
    },
  };
}

function networkOf(spec: ContainerSpec): string {
  return spec.create.HostConfig?.NetworkMode ?? "bridge";
}

/**
 * The change that removes a container of ours that should not exist; null when absent. One with
 * that name but without our label stops the plan (ForeignContainerError) and is left alone.
 */
export function removeContainerChange(
  snap: DockerSnapshot | null,
  docker: () => Promise<Docker>,
  name: string,
  why: string,
): Change | null {
  if (!snap?.ourContainer(name)) return null;
  return {
    summary: `remove container ${name} (${why})`,
    apply: async () => removeContainer(await docker(), name),
  };
}
