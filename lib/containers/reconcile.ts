/** Brings a container (and our network) to its specification, judged by the spec-hash label. */
import type Docker from "dockerode";
import { type ContainerSpec, MANAGED_LABEL, SPEC_HASH_LABEL } from "./spec.ts";

/** What reconciling a container does. */
export type ContainerAction = "create" | "recreate" | "start" | "none";

/** The container as found on the engine. */
export interface ContainerState {
  id: string;
  running: boolean;
  hash: string | null;
}

function isNotFound(e: unknown): boolean {
  return (e as { statusCode?: number })?.statusCode === 404;
}

/** Inspects the container named `name`; null when there is none. */
export async function containerState(docker: Docker, name: string): Promise<ContainerState | null> {
  try {
    const info = await docker.getContainer(name).inspect();
    return { id: info.Id, running: info.State.Running, hash: info.Config.Labels?.[SPEC_HASH_LABEL] ?? null };
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
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
  await c.start();
  return c.id;
}

/** Removes the container named `name` (stopping it first, 10 s grace); no error when absent. */
export async function removeContainer(docker: Docker, name: string): Promise<void> {
  const c = docker.getContainer(name);
  try {
    await c.stop({ t: 10 }).catch((e) => {
      // 304: already stopped.
      if ((e as { statusCode?: number }).statusCode !== 304) throw e;
    });
    await c.remove({ force: true });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** Carries out `action` for `spec`; returns the container's ID afterwards. */
export async function applyAction(
  docker: Docker,
  spec: ContainerSpec,
  hash: string,
  action: ContainerAction,
): Promise<string> {
  switch (action) {
    case "create":
      return await createAndStart(docker, spec, hash);
    case "recreate":
      await removeContainer(docker, spec.name);
      return await createAndStart(docker, spec, hash);
    case "start": {
      const c = docker.getContainer(spec.name);
      await c.start().catch((e) => {
        if ((e as { statusCode?: number }).statusCode !== 304) throw e;
      });
      return (await c.inspect()).Id;
    }
    case "none":
      return (await docker.getContainer(spec.name).inspect()).Id;
  }
}

/** Reconciles one container now (inspect, decide, act); returns what it did and the container ID. */
export async function reconcileContainer(
  docker: Docker,
  spec: ContainerSpec,
  hash: string,
): Promise<{ action: ContainerAction; id: string }> {
  const action = decideAction(await containerState(docker, spec.name), hash);
  return { action, id: await applyAction(docker, spec, hash, action) };
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
