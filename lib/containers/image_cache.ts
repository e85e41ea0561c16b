/**
 * Pushing into the host-side cache while the engine installs (commands/image_cache.ts writes and loads
 * it). Why it pays only then: with the engine up, streaming into `docker load` costs one transfer and
 * the engine unpacks as the bytes arrive; through the cache the same bytes also go to disk and are read
 * back. While apt installs the engine (10–40 s on the bench's hosts) there is no engine to stream
 * into, so the transfer would otherwise wait for it: written to the cache meanwhile, what is left after
 * the install is the engine's own unpacking. A host with a running engine is never sent to the cache.
 */
import type Docker from "dockerode";
import { createHash } from "node:crypto";
import { IMAGE_CACHE_DIR } from "../base/names.ts";
import {
  cacheImageArchive,
  loadCachedArchive,
  parseCached,
  removeImageCache,
} from "../commands/image_cache.ts";
import type { Change } from "../engine/change.ts";
import type { ImageTransfer } from "../engine/report.ts";
import { exec } from "../transport/exec.ts";
import type { Ssh } from "../transport/ssh.ts";
import { controllerLayers, imagePresent } from "./image_delivery.ts";
import { gzipped } from "./compression.ts";
import { dropLayers, type RewriteStats } from "./layer_tar.ts";

/** An archive the host's cache holds, and what it cost to send. */
export interface CachedImage {
  ref: string;
  sum: string;
  transfer: Omit<ImageTransfer, "seconds">;
  seconds: number;
}

async function text(s: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(s).text();
}

/** Sends `ref`'s whole archive (the host has no engine, so no layer) into the host's cache; checks its digest. */
export async function cacheImage(
  ssh: Ssh,
  source: Docker,
  ref: string,
  compress: boolean,
): Promise<CachedImage> {
  const t0 = performance.now();
  const diffIds = await controllerLayers(source, ref);
  const stats: RewriteStats = { bytesIn: 0, bytesOut: 0, layersKept: 0, layersDropped: 0 };
  const tar = await source.getImage(ref).get() as unknown as AsyncIterable<Uint8Array>;
  const archive = dropLayers(tar, new Set(), stats, new Set(diffIds));
  const body: AsyncIterable<Uint8Array> = compress ? gzipped(archive) : archive;
  const hash = createHash("sha256");
  let bytes = 0;
  const child = await ssh.spawnRoot(cacheImageArchive(IMAGE_CACHE_DIR).script);
  const out = text(child.stdout);
  const err = text(child.stderr);
  const writer = child.stdin.getWriter();
  try {
    for await (const b of body) {
      hash.update(b);
      bytes += b.length;
      await writer.write(b);
    }
    await writer.close();
  } catch (e) {
    await writer.abort().catch(() => {});
    await child.status;
    throw new Error(
      `sending ${ref} to ${IMAGE_CACHE_DIR} failed: ${(e as Error).message} ${await err}`.trim(),
    );
  }
  const status = await child.status;
  const got = parseCached(await out);
  const sum = hash.digest("hex");
  if (!status.success || !got || got.sum !== sum || got.size !== bytes) {
    throw new Error(
      `the host's copy of ${ref} in ${IMAGE_CACHE_DIR} is not what was sent (${bytes} bytes, sha256 ${sum}; ` +
        `the host says ${got ? `${got.size} bytes, ${got.sum}` : "nothing"}): ${(await err).trim()}`,
    );
  }
  return {
    ref,
    sum,
    transfer: {
      image: ref,
      bytes,
      archiveBytes: stats.bytesOut,
      fullBytes: stats.bytesIn,
      layersSent: stats.layersKept,
      layersSkipped: 0,
      compressed: compress,
      viaCache: true,
    },
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Loads a cached archive into the host's engine (once it answers) and checks the image is there. */
export async function loadCached(
  ssh: Ssh,
  target: Docker,
  c: CachedImage,
  line: (l: string) => void,
): Promise<ImageTransfer> {
  const t0 = performance.now();
  await exec(ssh, loadCachedArchive(IMAGE_CACHE_DIR, c.sum));
  line(`loaded from the host's cache (${c.transfer.bytes} bytes sent while the engine installed)`);
  if (!(await imagePresent(target, c.ref))) {
    throw new Error(`the engine loaded the cached archive but has no ${c.ref}`);
  }
  return { ...c.transfer, seconds: c.seconds + (performance.now() - t0) / 1000 };
}

/** The change removing `dir`, a cache folder of ours holding what a run that died before loading left. */
export function leftoverCacheChange(dir: string): Change {
  return {
    summary: `remove ${dir} (image archives a run that died left there)`,
    command: removeImageCache(dir),
  };
}
