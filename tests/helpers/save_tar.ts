/** `docker save` archives built byte by byte for unit tests (ustar headers, as Go's archive/tar writes them). */
import { createHash } from "node:crypto";

const enc = new TextEncoder();

/** One tar entry's bytes: a ustar header (checksum computed) and the data padded to 512. */
export function entry(name: string, data: Uint8Array, type = "0"): Uint8Array {
  const h = new Uint8Array(512);
  const put = (off: number, s: string) => h.set(enc.encode(s), off);
  put(0, name);
  put(100, "0000644\0");
  put(108, "0000000\0");
  put(116, "0000000\0");
  put(124, data.length.toString(8).padStart(11, "0") + "\0");
  put(136, "00000000000\0");
  put(156, type);
  put(257, "ustar\x0000");
  h.fill(0x20, 148, 156);
  const sum = h.reduce((a, b) => a + b, 0);
  put(148, sum.toString(8).padStart(6, "0") + "\0 ");
  const out = new Uint8Array(512 + Math.ceil(data.length / 512) * 512);
  out.set(h);
  out.set(data, 512);
  return out;
}

/** A PAX extended header carrying `path` (what Go's archive/tar writes for a long name). */
export function pax(path: string): Uint8Array {
  let rec = ` path=${path}\n`;
  rec = `${rec.length + String(rec.length).length}${rec}`;
  return entry("PaxHeaders.0/x", enc.encode(rec), "x");
}

/** The two zero blocks that end an archive. */
export const END = new Uint8Array(1024);

/** The parts one after another. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Deterministic pseudo-random layer content of `n` bytes. */
export function layer(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** The sha256 digest of bytes, as Docker writes it. */
export const digest = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
/** A digest's hex part. */
export const hex = (d: string) => d.slice("sha256:".length);
