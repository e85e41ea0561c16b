/**
 * Gets a pinned image onto a host's Docker engine: `pull` from the registry on the host, or `push`:
 * stream `docker save` of the controller's engine into the host's `docker load`, over the SSH-forwarded
 * socket (for hosts without registry access, and the lab), with only the layers the host lacks.
 */
import type Docker from "dockerode";
import { Readable } from "node:stream";
import type { Change } from "../engine/change.ts";
import type { ImageTransfer } from "../engine/report.ts";
import { pool } from "../base/pool.ts";
import { gzipped } from "./compression.ts";
import type { Delivery, ImageDeliveries } from "./deliveries.ts";
import {
  containerdStore,
  dropLayers,
  droppableLayers,
  presentChains,
  type RewriteStats,
} from "./layer_tar.ts";

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

/**
 * The layers (diff IDs) of `ref` in the controller's engine, the source of a push; a clear error when it
 * lacks the image.
 */
export async function controllerLayers(source: Docker, ref: string): Promise<string[]> {
  try {
    return (await source.getImage(ref).inspect()).RootFS?.Layers ?? [];
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    throw new Error(
      `image_delivery is push but the controller's Docker has no ${ref}: docker pull (or build) it here first`,
    );
  }
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

/** How a push reaches the host: whether to compress, decided once the archive's size is known to be worth it. */
export interface PushLink {
  /** True when the archive should travel gzip-compressed (see compression.ts). */
  compress: () => Promise<boolean>;
}

/**
 * The name Docker's `reference` filter compares a pattern with (moby daemon/images/images.go uses
 * reference.FamiliarMatch): `docker.io/library/traefik:v3` → `traefik`, `quay.io/a/b:1` → `quay.io/a/b`.
 */
export function familiarRepository(ref: string): string {
  const repo = ref.replace(/@sha256:.*$/, "").replace(/:[^/:]+$/, "");
  return repo.replace(/^docker\.io\//, "").replace(/^library\//, "");
}

/**
 * The layers (`RootFS.Layers`, diff IDs bottom first) of the engine's images of the repositories of
 * `related` (ours: an earlier tag shares most layers with the new one), or of every image when none is
 * given. Each inspect is a request on the forwarded socket, and the host may hold many unrelated images.
 */
export async function engineLayers(docker: Docker, related: string[] = []): Promise<string[][]> {
  const reference = [...new Set(related.map(familiarRepository))];
  const images = await docker.listImages(reference.length ? { filters: { reference } } : {});
  return await pool(images, 4, async (i) => {
    try {
      const doc = await docker.getImage(i.Id).inspect();
      return doc.RootFS?.Layers ?? [];
    } catch {
      return []; // removed meanwhile: its layers count as absent
    }
  });
}

/** Ends the stream normally on a source error (kept in `failed`): an aborted body would leave the request hanging. */
async function* counted(
  src: AsyncIterable<Uint8Array>,
  n: { bytes: number; failed?: unknown },
): AsyncGenerator<Uint8Array> {
  try {
    for await (const b of src) {
      n.bytes += b.length;
      yield b;
    }
  } catch (e) {
    n.failed = e;
  }
}

/**
 * Streams `ref` from `source` (the controller's engine) into `target` (the host's), without a temp file,
 * leaving out the layer files whose chain the host already has (layer_tar.ts says why `docker load`
 * accepts that); the whole archive on the containerd image store. Compressed when `link` says so.
 */
export async function pushImage(
  source: Docker,
  target: Docker,
  ref: string,
  onLine: (l: string) => void,
  opts: { link?: PushLink; related?: string[] } = {},
): Promise<ImageTransfer> {
  const t0 = performance.now();
  const diffIds = await controllerLayers(source, ref);
  const info = await target.info() as { DriverStatus?: [string, string][] };
  const full = containerdStore(info) ? "the host's engine uses the containerd image store" : undefined;
  const drop = full
    ? new Set<string>()
    : droppableLayers(diffIds, presentChains(await engineLayers(target, opts.related)));
  const compress = await opts.link?.compress() ?? false;
  const stats: RewriteStats = { bytesIn: 0, bytesOut: 0, layersKept: 0, layersDropped: 0 };
  const tar = await source.getImage(ref).get() as unknown as AsyncIterable<Uint8Array>;
  const archive = dropLayers(tar, drop, stats, new Set(diffIds));
  const sent: { bytes: number; failed?: unknown } = { bytes: 0 };
  const body = compress ? gzipped(archive) : archive;
  const out = await target.loadImage(Readable.from(counted(body, sent)), { quiet: false });
  try {
    await follow(target, out, onLine);
  } catch (e) {
    throw sent.failed ?? e;
  }
  if (sent.failed) throw sent.failed;
  if (!(await imagePresent(target, ref))) throw new Error(`docker load finished but the host has no ${ref}`);
  const t: ImageTransfer = {
    image: ref,
    bytes: sent.bytes,
    archiveBytes: stats.bytesOut,
    fullBytes: stats.bytesIn,
    layersSent: stats.layersKept,
    layersSkipped: stats.layersDropped,
    compressed: compress,
    ...(full ? { full } : {}),
    seconds: (performance.now() - t0) / 1000,
  };
  return t;
}

/** The `-v` line of a push: bytes sent, layers sent and skipped, compressed or not. */
export function transferLine(t: ImageTransfer): string {
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  return `${t.image}: sent ${t.bytes} bytes (${mib(t.bytes)}) of a ${mib(t.fullBytes)} archive; ` +
    `${t.layersSent} layer(s) sent, ${t.layersSkipped} already on the host; ` +
    `${t.compressed ? "gzip" : "uncompressed"}${t.full ? ` (whole archive: ${t.full})` : ""}` +
    `${t.viaCache ? " through the host's cache while the engine installed" : ""} in ${t.seconds.toFixed(1)}s`;
}

/** How a host gets its images, beside the reference and the engine. */
export interface DeliveryOptions {
  mode: "pull" | "push";
  progress: (l: string) => void;
  /** The controller's engine (source of `push`). */
  controller?: () => Promise<Docker>;
  /** The registry login of a pull, if any. */
  auth?: () => Promise<RegistryAuth | undefined>;
  /** The proxy the host's engine pulls through, named in a failed pull's error. */
  proxy?: string;
  /** Whether a push travels compressed. */
  link?: PushLink;
  /** The images whose layers a push looks for on the host (the inventory's images: ours share layers). */
  related?: string[];
  /** The run's deliveries on this host: the change joins one the prefetch started. */
  deliveries?: ImageDeliveries;
  /** Receives what a push sent (the host report's `transfers`, the `-v` line). */
  transferred?: (t: ImageTransfer) => void;
}

/** A client of the controller's own engine (the source of `push`). */
export async function localDocker(): Promise<Docker> {
  const { default: Dockerode } = await import("dockerode");
  return new Dockerode({ socketPath: CONTROLLER_SOCKET });
}

/** The delivery of `ref` itself (a pull or a push), for the change or for the prefetch. */
export function delivery(docker: () => Promise<Docker>, ref: string, o: DeliveryOptions): Delivery {
  return async (progress) => {
    const line = (l: string) => progress(`${ref}: ${l}`);
    const target = await docker();
    if (o.mode === "push") {
      return await pushImage(await (o.controller ?? localDocker)(), target, ref, line, {
        link: o.link,
        related: o.related,
      });
    }
    try {
      await pullImage(target, ref, line, await o.auth?.());
    } catch (e) {
      // dockerd's own message names the registry, never the proxy it went through (or failed to).
      if (!o.proxy) throw e;
      throw new Error(`pull of ${ref} through the proxy ${o.proxy} failed: ${(e as Error).message}`);
    }
  };
}

/**
 * The change that delivers `ref` to the host, or null when the probe found it there (`present`); the
 * host's engine is reached only to apply. An image whose delivery the prefetch started in this run keeps
 * its change (it joins the delivery), so the plan and the output are those of a run without prefetch.
 */
export function imageChange(
  present: boolean,
  docker: () => Promise<Docker>,
  ref: string,
  o: DeliveryOptions,
): Change | null {
  if (ref.endsWith(":latest") || !/:[^/]+$|@sha256:/.test(ref)) {
    throw new Error(`image ${ref} is not pinned to a version tag or digest`);
  }
  if (present && !o.deliveries?.started(ref)) return null;
  return {
    summary: o.mode === "pull"
      ? `pull image ${ref}`
      : `push image ${ref} from the controller's Docker engine`,
    apply: async () => {
      const run = delivery(docker, ref, o);
      const t = o.deliveries
        ? await o.deliveries.deliver(ref, o.mode, run, o.progress)
        : await run(o.progress);
      if (t) o.transferred?.(t);
    },
  };
}
