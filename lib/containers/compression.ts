/**
 * Whether a pushed image travels gzip-compressed: only when the link is slower than the controller can
 * compress. Both sides of that comparison are measured, once per run: gzip's throughput on the controller,
 * and the link's to each host (a sample sent over the host's SSH connection before its first push).
 *
 * Why that criterion: compression and sending are pipelined, so S bytes take about max(S/C, r·S/B)
 * compressed (C: gzip's throughput, r: the ratio, B: the link's) against S/B plain; since r < 1 it pays
 * exactly when B < C. Over the lab's local bridge B is hundreds of MB/s and C (gzip level 1) a few tens:
 * it would slow the push; over a WAN link of a few MB/s it divides the bytes by 2–3. `docker load`
 * takes either: it decompresses what it is given (moby pkg/chrootarchive `Untar` →
 * `archive.DecompressStream` at v20.10.24; daemon/containerd/image_exporter.go `DecompressStream` at v26).
 */
import { pipeline, Readable } from "node:stream";
import { createGzip } from "node:zlib";
import type { Ssh } from "../transport/ssh.ts";

/** Keep a margin: gzip competes for the controller's CPU with ssh's encryption and the other hosts' pushes. */
export const GZIP_MARGIN = 0.8;

/** A literal loopback address (or `localhost`): never worth compressing, nothing to measure. */
export function isLoopback(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, "").toLowerCase();
  return a === "localhost" || a === "::1" || /^127\.\d+\.\d+\.\d+$/.test(a);
}

/** The decision from the two measured throughputs (bytes per second). */
export function shouldCompress(
  o: { loopback: boolean; linkBytesPerSec: number; gzipBytesPerSec: number },
): boolean {
  if (o.loopback) return false;
  return o.linkBytesPerSec < o.gzipBytesPerSec * GZIP_MARGIN;
}

/** Pseudo-random bytes as base64 text: as incompressible as a layer of binaries is, roughly; cheap to make. */
function sample(bytes: number): Uint8Array {
  const raw = new Uint8Array(Math.ceil(bytes * 3 / 4));
  for (let i = 0; i < raw.length; i += 65536) crypto.getRandomValues(raw.subarray(i, i + 65536));
  return new TextEncoder().encode(base64(raw)).subarray(0, bytes);
}

function base64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

let gzipSpeed: Promise<number> | undefined;

/** gzip level 1's throughput on this controller (bytes/s), measured once per process on 4 MiB. */
export function gzipBytesPerSec(): Promise<number> {
  return gzipSpeed ??= (async () => {
    const data = sample(4 << 20);
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const z = createGzip({ level: 1 });
      z.on("data", () => {}).on("end", resolve).on("error", reject);
      z.end(data);
    });
    return data.length / Math.max((performance.now() - t0) / 1000, 1e-4);
  })();
}

const links = new WeakMap<Ssh, Promise<number>>();

/**
 * The link's throughput to the host of `ssh` (bytes/s), measured once per connection: 1 MiB sent to
 * `/dev/null` in a script on stdin, minus the time of an empty script (the round trip and the shell's
 * start-up, paid by both).
 */
export function linkBytesPerSec(ssh: Ssh, size = 1 << 20): Promise<number> {
  let m = links.get(ssh);
  if (!m) {
    m = (async () => {
      const t0 = performance.now();
      await ssh.run(":", { log: "link sample: an empty script (round trip)" });
      const t1 = performance.now();
      const body = new TextDecoder().decode(sample(size));
      await ssh.run(`cat >/dev/null <<'ISA_SAMPLE'\n${body}\nISA_SAMPLE\n`, {
        log: `link sample: ${size} bytes to /dev/null (decides whether pushed images are compressed)`,
      });
      const t2 = performance.now();
      const seconds = Math.max((t2 - t1 - (t1 - t0)) / 1000, 1e-3);
      return size / seconds;
    })();
    links.set(ssh, m);
  }
  return m;
}

/**
 * `src` gzip-compressed (level 1: the fastest; the criterion above assumes it). An error of `src` ends
 * the compressed stream with that error (node's pipeline destroys gzip with it), never a silent hang.
 */
export function gzipped(src: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const z = createGzip({ level: 1 });
  pipeline(Readable.from(src), z, () => {});
  return z;
}
