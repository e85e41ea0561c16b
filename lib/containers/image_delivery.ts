/**
 * Gets a pinned image onto a host's Docker engine: `pull` from the registry on the host, or `push`:
 * stream `docker save` of the controller's engine into the host's `docker load`, over the SSH-forwarded
 * socket (for hosts without registry access, and the lab).
 */
import type Docker from "dockerode";
import type { Change } from "../engine/change.ts";

/** The controller's own Docker engine (source of `push`). */
export const CONTROLLER_SOCKET = "/var/run/docker.sock";

/** True when the engine has the image `ref`. */
export async function imagePresent(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return false;
    throw e;
  }
}

interface ProgressEvent {
  status?: string;
  id?: string;
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** Reads a Docker JSON-progress stream to its end; rejects on an error event; reports coarse progress. */
function follow(docker: Docker, stream: NodeJS.ReadableStream, onLine: (l: string) => void): Promise<void> {
  const layers = new Map<string, string>();
  let last = 0;
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, events: ProgressEvent[]) => {
        const bad = events?.find((e) => e.error || e.errorDetail);
        if (err) reject(err);
        else if (bad) reject(new Error(bad.errorDetail?.message ?? bad.error));
        else resolve();
      },
      (e: ProgressEvent) => {
        if (e.error || e.errorDetail) return;
        if (e.stream?.trim()) onLine(e.stream.trim()); // docker load: "Loaded image: …"
        if (!e.id || !e.status) return;
        layers.set(e.id, e.status);
        // One line per finished layer, and a summary at most every 5 s: enough to show it moves.
        const now = Date.now();
        if (/complete|already exists/i.test(e.status) || now - last > 5000) {
          last = now;
          const done = [...layers.values()].filter((s) => /complete|already exists/i.test(s)).length;
          onLine(`${e.id}: ${e.status} (${done}/${layers.size} layers done)`);
        }
      },
    );
  });
}

/** A registry login for a pull (the secrets' `registries.<name>`). */
export interface RegistryAuth {
  username: string;
  password: string;
}

/**
 * Registry name an image reference starts with, as the secrets' `registries` keys write it: `quay.io`
 * for `quay.io/prometheus/prometheus:v3.5.5`, `docker.io` for `docker.io/library/traefik:…` and for a
 * name without a registry part (`prom/prometheus:…`), as Docker's reference grammar reads them.
 */
export function registryName(ref: string): string {
  const first = ref.split("/")[0];
  const named = ref.includes("/") && (/[.:]/.test(first) || first === "localhost");
  return named ? first : "docker.io";
}

/**
 * `docker pull ref` on the host's engine, with the registry login when one is given: dockerode sends it
 * in the X-Registry-Auth header of the API request, so it is in no argv, no file on the host and no
 * `docker inspect`.
 */
export async function pullImage(
  docker: Docker,
  ref: string,
  onLine: (l: string) => void,
  auth?: RegistryAuth,
): Promise<void> {
  const stream = await docker.pull(
    ref,
    auth ? { authconfig: { ...auth, serveraddress: registryName(ref) } } : {},
  );
  await follow(docker, stream, onLine);
}

/** Streams `ref` from `source` (the controller's engine) into `target` (the host's), without a temp file. */
export async function pushImage(
  source: Docker,
  target: Docker,
  ref: string,
  onLine: (l: string) => void,
): Promise<void> {
  if (!(await imagePresent(source, ref))) {
    throw new Error(
      `image_delivery is push but the controller's Docker has no ${ref}: docker pull (or build) it here first`,
    );
  }
  const tar = await source.getImage(ref).get();
  const out = await target.loadImage(tar, { quiet: false });
  await follow(target, out, onLine);
  if (!(await imagePresent(target, ref))) throw new Error(`docker load finished but the host has no ${ref}`);
}

/**
 * The change that delivers `ref` to the host, or null when the probe found it there (`present`); the
 * host's engine is reached only to apply.
 */
export function imageChange(
  present: boolean,
  docker: () => Promise<Docker>,
  ref: string,
  mode: "pull" | "push",
  progress: (l: string) => void,
  controller: () => Promise<Docker> = async () => {
    const { default: Dockerode } = await import("dockerode");
    return new Dockerode({ socketPath: CONTROLLER_SOCKET });
  },
  auth: () => Promise<RegistryAuth | undefined> = () => Promise.resolve(undefined),
  proxy?: string,
): Change | null {
  if (ref.endsWith(":latest") || !/:[^/]+$|@sha256:/.test(ref)) {
    throw new Error(`image ${ref} is not pinned to a version tag or digest`);
  }
  if (present) return null;
  return {
    summary: mode === "pull" ? `pull image ${ref}` : `push image ${ref} from the controller's Docker engine`,
    apply: async () => {
      const line = (l: string) => progress(`${ref}: ${l}`);
      const target = await docker();
      if (mode === "pull") {
        try {
          await pullImage(target, ref, line, await auth());
        } catch (e) {
          // dockerd's own message names the registry, never the proxy it went through (or failed to).
          if (!proxy) throw e;
          throw new Error(`pull of ${ref} through the proxy ${proxy} failed: ${(e as Error).message}`);
        }
      } else await pushImage(await controller(), target, ref, line);
    },
  };
}
