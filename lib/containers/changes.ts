/** Changes shared by the container steps: folders, network, containers, validated files. */
import type Docker from "dockerode";
import type { Change } from "../engine/change.ts";
import { fileChange, type FileOptions } from "../engine/file_change.ts";
import { quote } from "../base/quote.ts";
import type { Ssh } from "../transport/ssh.ts";
import { type HostProbe, probeHost } from "../facts/files_probe.ts";
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
import { dropScript, restoreScript } from "./previous_files.ts";
import { type ContainerSpec, specHash } from "./spec.ts";
import { MANAGED_LABEL } from "../base/names.ts";
import { exec } from "../transport/exec.ts";
import { ensureDir, moveFile } from "../commands/files.ts";

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
 * The change that creates folder `dir` with `mode` and `opts.owner` (`uid:gid`, root's by default),
 * or fixes them; null when right. `recursiveOwner` gives everything inside to the owner too.
 */
export function dirChange(
  ssh: Ssh,
  dir: string,
  mode: string,
  probe: HostProbe,
  opts: { recursiveOwner?: boolean; why?: string; owner?: string } = {},
): Change | null {
  const owner = opts.owner ?? "0:0";
  const cur = probe.dirs[dir];
  if (cur === undefined) throw new Error(`dirChange: ${dir} was not probed`);
  if (cur && cur.owner === owner && cur.mode === mode) return null;
  const what = cur
    ? `set owner ${owner} and mode ${mode} on ${dir} (was ${cur.owner} ${cur.mode})`
    : `create folder ${dir}`;
  return {
    summary: opts.why && cur ? `${what}: ${opts.why}` : what,
    apply: async () => {
      await exec(ssh, ensureDir(dir, owner, mode, opts.recursiveOwner));
    },
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
  /** Of `kept`, those whose copy an interrupted run left on the host (probe `copyPaths` to know). */
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
    restoreFiles: kept.length
      ? async () => void await ssh.run(restoreScript(kept), { log: `put back ${kept.join(" ")}` })
      : undefined,
    dropFiles: kept.length
      ? async () => void await ssh.run(dropScript(kept), { log: `forget the copies of ${kept.join(" ")}` })
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
      apply: async () => void await ssh.run(dropScript(left), { log: `rm the copies of ${left.join(" ")}` }),
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
 * Docker's "bind: address already in use" names the port but not who holds it; the operator's next
 * question is "which process?", so the host is asked (`ss`) and the answer put in the error.
 * Other errors pass through unchanged.
 */
export async function explainPortClash(ssh: Ssh, name: string, e: unknown): Promise<never> {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /listen \S+ \S*:(\d+): bind: address already in use/.exec(msg);
  if (!m) throw e;
  const r = await ssh.run(`ss -Htlnp 'sport = :${m[1]}' 2>/dev/null`, {
    check: false,
    log: `ss: who listens on port ${m[1]}`,
  });
  const holders = [
    ...new Set([...r.stdout.matchAll(/\("([^"]+)",pid=(\d+)/g)].map((h) => `${h[1]} (pid ${h[2]})`)),
  ];
  throw new Error(
    `port ${m[1]} is already taken on the host${holders.length ? ` by ${holders.join(", ")}` : ""}; ` +
      `container ${name} was not started: stop that process or change ports in the inventory\n(Docker: ${msg.trim()})`,
  );
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

/**
 * Like `fileChange`, but the new content is first written next to the file as a candidate and
 * checked by `validate`; only a candidate that passes is renamed over the file, so a rejected
 * config is never put in place.
 */
export function validatedFileChange(
  ssh: Ssh,
  path: string,
  current: string | null,
  desired: string,
  opts: FileOptions,
  validate: (candidatePath: string) => Promise<void>,
): Change | null {
  const base = fileChange(ssh, path, current, desired, opts);
  // Same content, only mode or owner drifted: nothing new to validate.
  if (!base || current === desired) return base;
  const candidate = path.replace(/([^/]+)$/, ".$1.candidate");
  return {
    ...base,
    apply: async () => {
      await ssh.writeFile(candidate, desired, { mode: opts.mode, owner: opts.owner });
      try {
        await validate(candidate);
      } catch (e) {
        await ssh.run(`rm -f ${quote(candidate)}`, { check: false });
        throw e;
      }
      await exec(ssh, moveFile(candidate, path));
      await opts.after?.();
    },
  };
}

/**
 * Runs a one-shot container (no network, read-only, no capabilities) as `user` and returns its exit
 * code and output.
 */
export async function runOneShot(
  docker: Docker,
  image: string,
  entrypoint: string[],
  args: string[],
  mounts: Docker.MountSettings[],
  user = "0:0",
): Promise<{ code: number; output: string }> {
  // A run stopped during a check (Ctrl-C, lost connection) never reached the `finally` below and
  // left its one-shot container; one-shots only run under the host lock, so any found now is stale.
  const stale = await docker.listContainers({
    all: true,
    filters: { name: ["isa-oneshot-"], label: [`${MANAGED_LABEL}=true`] },
  });
  for (const o of stale) await docker.getContainer(o.Id).remove({ force: true }).catch(() => {});
  const c = await docker.createContainer({
    name: `isa-oneshot-${crypto.randomUUID().slice(0, 8)}`,
    Image: image,
    Entrypoint: entrypoint,
    Cmd: args,
    User: user,
    // A TTY gives plain logs (no stdout/stderr multiplexing headers).
    Tty: true,
    Labels: { [MANAGED_LABEL]: "true" },
    HostConfig: {
      Mounts: mounts,
      NetworkMode: "none",
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
    },
  });
  try {
    await c.start();
    const res = await c.wait();
    const logs = await c.logs({ stdout: true, stderr: true, follow: false });
    return { code: res.StatusCode, output: logs.toString().replaceAll("\r\n", "\n").trim() };
  } finally {
    await c.remove({ force: true }).catch(() => {});
  }
}

/**
 * A validator for `validatedFileChange` that runs `promtool <args…> <candidate>` through the Prometheus
 * image, as `user`: the one Prometheus runs as, owner of the 0600 files promtool reads.
 */
export function promtoolValidator(
  docker: () => Promise<Docker>,
  image: string,
  args: string[],
  mounts: Docker.MountSettings[],
  toContainerPath: (hostPath: string) => string,
  user = "0:0",
): (candidate: string) => Promise<void> {
  return async (candidate) => {
    const r = await runOneShot(
      await docker(),
      image,
      ["/bin/promtool"],
      [
        ...args,
        toContainerPath(candidate),
      ],
      mounts,
      user,
    );
    if (r.code !== 0) {
      throw new Error(`promtool ${args.join(" ")} rejected the new file (left unchanged):\n${r.output}`);
    }
  };
}
