/**
 * Brings a container (and our network) to its specification, judged by the spec-hash label. A
 * recreation keeps the previous container, stopped and renamed, until the new one is ready, and
 * puts it back when the new one is not: a host is never left without monitoring.
 */
import type Docker from "dockerode";
import { type ContainerSpec } from "./spec.ts";
import { MANAGED_LABEL, SPEC_HASH_LABEL } from "../base/names.ts";
import { type ContainerState, ForeignContainerError } from "../facts/docker_snapshot.ts";

/** What reconciling a container does. */
export type ContainerAction = "create" | "recreate" | "start" | "none";

/** Suffix of the name a previous container waits under while its replacement starts. */
export const PREVIOUS_SUFFIX = "-isa-previous";

/** Name of the stopped previous container kept during a recreation. */
export function previousName(name: string): string {
  return `${name}${PREVIOUS_SUFFIX}`;
}

function isNotFound(e: unknown): boolean {
  return (e as { statusCode?: number })?.statusCode === 404;
}

function ignoreNotModified(e: unknown): void {
  // 304: already started / already stopped.
  if ((e as { statusCode?: number }).statusCode !== 304) throw e;
}

/** Inspects the container named `name`; null when there is none. */
export async function containerState(docker: Docker, name: string): Promise<ContainerState | null> {
  try {
    const info = await docker.getContainer(name).inspect();
    const labels = info.Config.Labels ?? {};
    return {
      id: info.Id,
      running: info.State.Running,
      hash: labels[SPEC_HASH_LABEL] ?? null,
      managed: labels[MANAGED_LABEL] === "true",
    };
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

/** Inspects `name` and throws ForeignContainerError when it exists without our label. */
export async function ourContainerState(docker: Docker, name: string): Promise<ContainerState | null> {
  const state = await containerState(docker, name);
  if (state && !state.managed) throw new ForeignContainerError(name);
  return state;
}

/**
 * missing → create (and start); other hash → remove and recreate; same hash but stopped → start;
 * else nothing.
 */
export function decideAction(current: ContainerState | null, hash: string): ContainerAction {
  if (!current) return "create";
  if (current.hash !== hash) return "recreate";
  if (!current.running) return "start";
  return "none";
}

async function createAndStart(docker: Docker, spec: ContainerSpec, hash: string): Promise<string> {
  const opts: Docker.ContainerCreateOptions = structuredClone(spec.create);
  opts.name = spec.name;
  opts.Labels = { ...opts.Labels, [SPEC_HASH_LABEL]: hash };
  const c = await docker.createContainer(opts);
  try {
    await c.start();
  } catch (e) {
    // Created but not started (a port clash): don't leave it behind under our name.
    await c.remove({ force: true }).catch(() => {});
    throw e;
  }
  return c.id;
}

/** Removes the container named `name` (stopping it first, 10 s grace); no error when absent. */
export async function removeContainer(docker: Docker, name: string): Promise<void> {
  const c = docker.getContainer(name);
  try {
    await c.stop({ t: 10 }).catch(ignoreNotModified);
    await c.remove({ force: true });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** What a reconciliation calls around the swap; all optional (a plain reconcile waits for nothing). */
export interface SwapHooks {
  /** Resolves once container `id` is ready; throws (exit code, logs) when it is not. */
  waitReady?: (id: string) => Promise<void>;
  /** Puts back the configuration files the previous container ran with (before it starts again). */
  restoreFiles?: () => Promise<void>;
  /** Forgets the copies of the previous configuration files (the swap succeeded, or there was nothing to put back). */
  dropFiles?: () => Promise<void>;
  /** A progress line. */
  progress?: (line: string) => void;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Replaces the container by a new one built from `spec`. The old one (found under its name, or
 * already stopped under `previousName` by a run that died midway) is stopped and renamed, not
 * removed, until the new one is ready; then it is removed. When the new one fails, it is removed,
 * the old configuration files are put back, and the old container starts again under its name.
 */
async function recreate(
  docker: Docker,
  spec: ContainerSpec,
  hash: string,
  hooks: SwapHooks,
): Promise<string> {
  const prevName = previousName(spec.name);
  let old = await ourContainerState(docker, prevName);
  const current = await ourContainerState(docker, spec.name);
  if (old && current) {
    // An interrupted run left the old container aside: the one under our name is its unfinished
    // replacement, never declared ready.
    await removeContainer(docker, spec.name);
  } else if (current) {
    await docker.getContainer(current.id).stop({ t: 10 }).catch(ignoreNotModified);
    await docker.getContainer(current.id).rename({ name: prevName });
    old = current;
  }
  let id: string | undefined;
  try {
    id = await createAndStart(docker, spec, hash);
    await hooks.waitReady?.(id);
  } catch (e) {
    if (id) await docker.getContainer(id).remove({ force: true }).catch(() => {});
    if (!old) {
      await hooks.dropFiles?.();
      throw e;
    }
    hooks.progress?.(`${spec.name}: the new container failed; putting the previous one back`);
    await hooks.restoreFiles?.();
    await docker.getContainer(old.id).rename({ name: spec.name });
    let back = "running again";
    try {
      await docker.getContainer(old.id).start().catch(ignoreNotModified);
      await hooks.waitReady?.(old.id);
    } catch (e2) {
      back = `started again but not ready either: ${message(e2)}`;
    }
    throw new Error(
      `${
        message(e)
      }\nthe previous ${spec.name} container is ${back}, with the configuration files it ran with`,
    );
  }
  if (old) await docker.getContainer(old.id).remove({ force: true });
  await hooks.dropFiles?.();
  return id;
}

/** Carries out `action` for `spec`; returns the container's ID afterwards. */
export async function applyAction(
  docker: Docker,
  spec: ContainerSpec,
  hash: string,
  action: ContainerAction,
  hooks: SwapHooks = {},
): Promise<string> {
  switch (action) {
    case "create":
    case "recreate":
      return await recreate(docker, spec, hash, hooks);
    case "start": {
      const c = docker.getContainer(spec.name);
      await c.start().catch(ignoreNotModified);
      const id = (await c.inspect()).Id;
      await hooks.waitReady?.(id);
      return id;
    }
    case "none":
      return (await docker.getContainer(spec.name).inspect()).Id;
  }
}

/**
 * Reconciles one container now (inspect, decide, act); returns what it did and the container ID.
 * A previous container left aside by an interrupted run makes it a recreation, whatever the hash.
 */
export async function reconcileContainer(
  docker: Docker,
  spec: ContainerSpec,
  hash: string,
  hooks: SwapHooks = {},
): Promise<{ action: ContainerAction; id: string }> {
  const current = await ourContainerState(docker, spec.name);
  const old = await ourContainerState(docker, previousName(spec.name));
  let action = decideAction(current, hash);
  if (old && action === "none") {
    // The new container was started; the run died before it was declared ready, or before the
    // previous one was removed. Ready now: finish the swap. Not ready: the swap is redone below.
    try {
      await hooks.waitReady?.(current!.id);
      await docker.getContainer(old.id).remove({ force: true });
      await hooks.dropFiles?.();
      return { action, id: current!.id };
    } catch {
      action = "recreate";
    }
  } else if (old) action = "recreate";
  return { action, id: await applyAction(docker, spec, hash, action, hooks) };
}

/** True when the Docker network `name` exists. */
export async function networkExists(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getNetwork(name).inspect();
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

/** Creates our bridge network `name` unless it exists. */
export async function ensureNetwork(docker: Docker, name: string): Promise<void> {
  if (await networkExists(docker, name)) return;
  await docker.createNetwork({
    Name: name,
    Driver: "bridge",
    CheckDuplicate: true,
    Labels: { [MANAGED_LABEL]: "true" },
  });
}
