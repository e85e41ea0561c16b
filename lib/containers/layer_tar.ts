/**
 * Sending only the layers a host lacks: a streaming rewriter of `docker save` output that drops the
 * layer files whose chain the host's engine already has, keeping every other byte as it was.
 *
 * Why this is safe: the classic image store's `docker load` reads manifest.json and the config, then for
 * each layer asks its layer store for the chain ID first and opens the layer file only when that fails
 * (moby image/tarexport/load.go, `l.lss[os].Get(r.ChainID())` before `l.loadLayer(layerPath, …)` at
 * v20.10.24, Debian 12's docker.io line; `l.lss.Get(r.ChainID())` at v26.1.5). A missing file of a present
 * layer is never opened. The containerd image store imports through containerd instead
 * (daemon/containerd/image_exporter.go, `i.client.Import`), which wants the blobs: there the caller sends
 * the whole archive (see `containerdStore`).
 */
import { createHash } from "node:crypto";
import { granted } from "../base/permissions.ts";

/** A layer's chain ID as moby computes it (layer/layer.go createChainIDFromParent): H(n) = sha256(H(n-1) + " " + diff(n)). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const parent = out.at(-1);
    out.push(
      parent === undefined ? d : `sha256:${createHash("sha256").update(`${parent} ${d}`).digest("hex")}`,
    );
  }
  return out;
}

/** Every chain ID the images' layer lists (`RootFS.Layers` of each inspect) make present on an engine. */
export function presentChains(imagesLayers: readonly (readonly string[])[]): Set<string> {
  return new Set(imagesLayers.flatMap((l) => chainIds(l)));
}

/**
 * The diff IDs of `diffIds` (the image to send, bottom first) whose layer file need not travel: those
 * at a position whose chain the host has. A diff ID found at two positions is dropped only when both
 * chains are there, since the file serves both.
 */
export function droppableLayers(diffIds: readonly string[], present: ReadonlySet<string>): Set<string> {
  const chains = chainIds(diffIds);
  const keep = new Set(diffIds.filter((_, i) => !present.has(chains[i])));
  return new Set(diffIds.filter((d) => !keep.has(d)));
}

/** True when the engine's `/info` says the containerd image store is on (moby daemon/containerd/service.go). */
export function containerdStore(info: { DriverStatus?: [string, string][] | null }): boolean {
  return (info.DriverStatus ?? []).some(([k, v]) => k === "driver-type" && /snapshotter/.test(v));
}

/** What the rewriter did: bytes and layer files seen, kept and dropped. */
export interface RewriteStats {
  bytesIn: number;
  bytesOut: number;
  layersKept: number;
  layersDropped: number;
  /**
   * Bytes of old-format layers spooled to the controller's disk to be hashed (none when nothing can be
   * dropped): what the rewriter cost the controller's disk, read by its tests (a push reports bytes sent).
   */
  spooledBytes?: number;
}

const BLOCK = 512;

/** The entry name of a tar header (ustar prefix + name), or the PAX/GNU long name given before it. */
function headerName(h: Uint8Array, longName: string | undefined): string {
  if (longName !== undefined) return longName;
  const field = (from: number, len: number) => {
    const b = h.subarray(from, from + len);
    const end = b.indexOf(0);
    return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
  };
  const magic = field(257, 6);
  const prefix = magic.startsWith("ustar") ? field(345, 155) : "";
  const name = field(0, 100);
  return prefix ? `${prefix}/${name}` : name;
}

/** The size field of a tar header: octal, or base-256 when its first byte has the high bit (GNU, Go's archive/tar). */
function headerSize(h: Uint8Array): number {
  const f = h.subarray(124, 136);
  if (f[0] & 0x80) {
    let n = f[0] & 0x7f;
    for (let i = 1; i < f.length; i++) n = n * 256 + f[i];
    return n;
  }
  const s = new TextDecoder().decode(f).replace(/\0.*$/s, "").trim();
  if (!/^[0-7]*$/.test(s)) throw new Error(`not a tar archive: bad size field ${JSON.stringify(s)}`);
  return s ? parseInt(s, 8) : 0;
}

/** The `path` record of a PAX extended header's data, if any. */
function paxPath(data: Uint8Array): string | undefined {
  for (const rec of new TextDecoder().decode(data).split("\n")) {
    const m = /^\d+ path=(.*)$/s.exec(rec);
    if (m) return m[1];
  }
  return undefined;
}

/** Reads exactly n bytes from a chunk iterator, keeping the rest for the next read. */
class Reader {
  #buf: Uint8Array = new Uint8Array(0);
  #it: AsyncIterator<Uint8Array>;
  bytes = 0;
  constructor(src: AsyncIterable<Uint8Array>) {
    this.#it = src[Symbol.asyncIterator]();
  }
  /** The next n bytes, or fewer when the stream ends. */
  async read(n: number): Promise<Uint8Array> {
    while (this.#buf.length < n) {
      const r = await this.#it.next();
      if (r.done) break;
      this.bytes += r.value.length;
      const joined = new Uint8Array(this.#buf.length + r.value.length);
      joined.set(this.#buf);
      joined.set(r.value, this.#buf.length);
      this.#buf = joined;
    }
    const out = this.#buf.subarray(0, Math.min(n, this.#buf.length));
    this.#buf = this.#buf.subarray(out.length);
    return out;
  }
  /** Up to `max` bytes (at least one unless at the end): for streaming an entry's data on. */
  async some(max: number): Promise<Uint8Array> {
    if (!this.#buf.length) {
      const r = await this.#it.next();
      if (r.done) return new Uint8Array(0);
      this.bytes += r.value.length;
      this.#buf = r.value;
    }
    const out = this.#buf.subarray(0, Math.min(max, this.#buf.length));
    this.#buf = this.#buf.subarray(out.length);
    return out;
  }
  /** The bytes read from the source so far, minus what is buffered and not yet handed out. */
  get consumed(): number {
    return this.bytes - this.#buf.length;
  }
}

/**
 * How a layer file of the archive is recognised: `blobs/sha256/<hex>` (the OCI layout `docker save`
 * writes since 25.0: layers are stored by their diff ID, moby image/tarexport/save.go `saveLayer`) is
 * known by name; `<v1 id>/layer.tar` (the format before 25.0) only by the digest of its content.
 */
function layerKind(name: string): { digest: string } | "hash" | null {
  const oci = /^(?:\.\/)?blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
  if (oci) return { digest: `sha256:${oci[1]}` };
  if (/^(?:\.\/)?[0-9a-f]{64}\/layer\.tar$/.test(name)) return "hash";
  return null;
}

/**
 * Where a layer of the old save format is spooled: `$TMPDIR` when this process may write there (`-A`)
 * and it is a folder, else `/tmp`, the one temporary folder the fleet tasks are granted (deno.json: `deno task`'s shell
 * expands `$NAME` but no `${NAME:-default}`, so an unset TMPDIR can't be named there).
 */
export function spoolDir(
  tmpdir = Deno.env.get("TMPDIR"),
  writable = (path: string) => granted(path, "write"),
  isDir = (path: string) => {
    try {
      return Deno.statSync(path).isDirectory;
    } catch {
      return false;
    }
  },
): string {
  return tmpdir && tmpdir.startsWith("/") && writable(tmpdir) && isDir(tmpdir) ? tmpdir : "/tmp";
}

/**
 * Rewrites a `docker save` archive as it streams, dropping the layer files whose diff ID is in `drop`;
 * every other entry (headers, padding, the end blocks) goes out byte for byte. An old-format layer file
 * is known only once hashed: it is spooled to a controller temp file while hashed, then sent or dropped
 * (memory stays at one chunk; the controller's disk is far faster than the link), unless `drop` is empty.
 */
export async function* dropLayers(
  src: AsyncIterable<Uint8Array>,
  drop: ReadonlySet<string>,
  stats: RewriteStats = { bytesIn: 0, bytesOut: 0, layersKept: 0, layersDropped: 0 },
  /** The image's diff IDs: which `blobs/sha256/` files are layers (the others are configs, manifests), for `stats`. */
  layers: ReadonlySet<string> = drop,
): AsyncGenerator<Uint8Array> {
  const r = new Reader(src);
  // Extended headers (PAX `x`, GNU `L`) go out with the entry they describe, or not at all.
  let pending: Uint8Array[] = [];
  let longName: string | undefined;
  const emit = (b: Uint8Array) => {
    stats.bytesOut += b.length;
    return b;
  };
  try {
    while (true) {
      const h = await r.read(BLOCK);
      if (h.length === 0) break;
      if (h.length < BLOCK) throw new Error("not a tar archive: it ends inside a header");
      if (h.every((b) => b === 0)) {
        for (const p of pending) yield emit(p);
        pending = [];
        yield emit(h.slice());
        continue;
      }
      const size = headerSize(h);
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      const type = String.fromCharCode(h[156]);
      if (type === "x" || type === "L") {
        const data = await r.read(padded);
        if (data.length < padded) throw new Error("not a tar archive: it ends inside an extended header");
        const body = data.subarray(0, size);
        longName = type === "x"
          ? paxPath(body) ?? longName
          : new TextDecoder().decode(body).replace(/\0+$/, "");
        pending.push(h.slice(), data.slice());
        continue;
      }
      const name = headerName(h, longName);
      longName = undefined;
      const regular = type === "0" || type === "\0";
      const kind = regular ? layerKind(name) : null;
      // With nothing to drop (a host with no layer of ours: a cold one), an old-format layer goes out
      // unhashed: spooling it would only cost the controller a write and a read of every byte.
      const kept = kind === null || (typeof kind === "object" ? !drop.has(kind.digest) : drop.size === 0);
      if (kept) {
        if (kind === "hash" || (kind !== null && layers.has(kind.digest))) stats.layersKept++;
        for (const p of pending) yield emit(p);
        pending = [];
        yield emit(h.slice());
        for (let left = padded; left > 0;) {
          const b = await r.some(Math.min(left, 1 << 20));
          if (!b.length) throw new Error(`not a tar archive: it ends inside ${name}`);
          left -= b.length;
          yield emit(b.slice());
        }
        continue;
      }
      if (typeof kind === "object") {
        // Known by name as present: skipped unread.
        for (let left = padded; left > 0;) {
          const b = await r.some(Math.min(left, 1 << 20));
          if (!b.length) throw new Error(`not a tar archive: it ends inside ${name}`);
          left -= b.length;
        }
        stats.layersDropped++;
        pending = [];
        continue;
      }
      // Old format: hash while spooling, then decide.
      const spool = await Deno.makeTempFile({ dir: spoolDir(), prefix: "isa-layer-" });
      try {
        const hash = createHash("sha256");
        const f = await Deno.open(spool, { write: true });
        try {
          for (let left = padded; left > 0;) {
            const b = await r.some(Math.min(left, 1 << 20));
            if (!b.length) throw new Error(`not a tar archive: it ends inside ${name}`);
            const data = b.subarray(0, Math.max(0, Math.min(b.length, size - (padded - left))));
            hash.update(data);
            left -= b.length;
            stats.spooledBytes = (stats.spooledBytes ?? 0) + b.length;
            for (let w = 0; w < b.length;) w += await f.write(b.subarray(w));
          }
        } finally {
          f.close();
        }
        if (drop.has(`sha256:${hash.digest("hex")}`)) {
          stats.layersDropped++;
          pending = [];
          continue;
        }
        stats.layersKept++;
        for (const p of pending) yield emit(p);
        pending = [];
        yield emit(h.slice());
        const back = await Deno.open(spool, { read: true });
        try {
          const buf = new Uint8Array(1 << 20);
          for (let n = await back.read(buf); n !== null; n = await back.read(buf)) {
            yield emit(buf.slice(0, n));
          }
        } finally {
          back.close();
        }
      } finally {
        await Deno.remove(spool).catch(() => {});
      }
    }
    for (const p of pending) yield emit(p);
  } finally {
    stats.bytesIn = r.consumed;
  }
}
