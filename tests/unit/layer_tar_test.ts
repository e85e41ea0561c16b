/**
 * The push sends only the layers a host lacks: `docker save` archives of both formats are built here
 * byte by byte (ustar, as Go's archive/tar writes them), rewritten, and compared with what must remain.
 */
import assert from "node:assert/strict";
import $ from "dax";
import {
  chainIds,
  containerdStore,
  dropLayers,
  droppableLayers,
  presentChains,
  type RewriteStats,
  spoolDir,
} from "../../lib/containers/layer_tar.ts";
import { concat, digest, END, entry, hex, layer, pax } from "../helpers/save_tar.ts";

const enc = new TextEncoder();

/** Feeds `bytes` in chunks of `size` (odd on purpose: headers and data split across chunks). */
async function* chunks(bytes: Uint8Array, size = 777): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function rewrite(
  archive: Uint8Array,
  drop: Set<string>,
  size?: number,
): Promise<{ out: Uint8Array; stats: RewriteStats }> {
  const stats: RewriteStats = { bytesIn: 0, bytesOut: 0, layersKept: 0, layersDropped: 0 };
  const parts: Uint8Array[] = [];
  const layers = new Set([dBase, dV1, dV2]);
  for await (const p of dropLayers(chunks(archive, size), drop, stats, layers)) parts.push(p);
  return { out: concat(parts), stats };
}

/** The layer entries of a `docker save` before 25.0: `<v1 id>/{VERSION,json,layer.tar}`, by v1 id. */
function legacyLayer(v1: string, data: Uint8Array): { meta: Uint8Array; tar: Uint8Array } {
  return {
    meta: concat([
      entry(`${v1}/`, new Uint8Array(0), "5"),
      entry(`${v1}/VERSION`, enc.encode("1.0")),
      entry(
        `${v1}/json`,
        enc.encode(`{"id":"${v1}"}`),
      ),
    ]),
    tar: entry(`${v1}/layer.tar`, data),
  };
}

/** Prometheus before and after a tag change: the base layer shared, the binary's layer new. */
const base = layer(1, 70_000);
const binV1 = layer(2, 5_000);
const binV2 = layer(3, 6_001);
const [dBase, dV1, dV2] = [digest(base), digest(binV1), digest(binV2)];

Deno.test("chain IDs follow moby's H(n) = sha256(H(n-1) + ' ' + diff(n)); the first is the diff ID", () => {
  const c = chainIds([dBase, dV2]);
  assert.equal(c[0], dBase);
  assert.equal(c[1], digest(enc.encode(`${dBase} ${dV2}`)));
  assert.notEqual(chainIds([dV2])[0], c[1]);
});

Deno.test("a layer is left out only where the host has its chain, not merely the same diff ID", () => {
  const host = presentChains([[dBase, dV1]]);
  assert.deepEqual([...droppableLayers([dBase, dV2], host)], [dBase]);
  // The same binary layer on a different base is another chain: it travels.
  assert.deepEqual([...droppableLayers([dV2], presentChains([[dBase, dV2]]))], []);
  assert.deepEqual([...droppableLayers([dBase, dV1], host)].sort(), [dBase, dV1].sort());
  assert.deepEqual([...droppableLayers([dBase, dV1], new Set())], []);
});

Deno.test("the containerd image store is recognised from /info's DriverStatus", () => {
  assert.equal(containerdStore({ DriverStatus: [["driver-type", "io.containerd.snapshotter.v1"]] }), true);
  assert.equal(
    containerdStore({ DriverStatus: [["Backing Filesystem", "extfs"], ["Supports d_type", "true"]] }),
    false,
  );
  assert.equal(containerdStore({ DriverStatus: null }), false);
});

Deno.test("pre-25 save format: after a Prometheus tag change only the new layer's file remains, every other byte as it was", async () => {
  const a = legacyLayer("a".repeat(64), base);
  const b = legacyLayer("b".repeat(64), binV2);
  const config = entry(`${"c".repeat(64)}.json`, enc.encode(`{"rootfs":{"diff_ids":["${dBase}","${dV2}"]}}`));
  const manifest = entry("manifest.json", enc.encode(`[{"Layers":["${"a".repeat(64)}/layer.tar"]}]`));
  const repositories = entry("repositories", enc.encode("{}"));
  const full = concat([a.meta, a.tar, b.meta, b.tar, config, manifest, repositories, END]);
  const host = presentChains([[dBase, dV1]]);
  const { out, stats } = await rewrite(full, droppableLayers([dBase, dV2], host));
  assert.deepEqual(out, concat([a.meta, b.meta, b.tar, config, manifest, repositories, END]));
  assert.deepEqual(stats, {
    bytesIn: full.length,
    bytesOut: out.length,
    layersKept: 1,
    layersDropped: 1,
    spooledBytes: a.tar.length + b.tar.length - 1024, // both layers' data (their headers are not spooled)
  });
  // GNU tar reads the result as a whole archive, the kept layer's content intact.
  const listed = await $`tar -tvf -`.stdinText("").stdin(out).text();
  assert.match(listed, new RegExp(`${"b".repeat(64)}/layer\\.tar`));
  assert.doesNotMatch(listed, new RegExp(`${"a".repeat(64)}/layer\\.tar`));
});

Deno.test("pre-25 save format onto a host with no layer of ours: every byte passes, none spooled or hashed", async () => {
  const a = legacyLayer("a".repeat(64), base);
  const b = legacyLayer("b".repeat(64), binV2);
  const full = concat([a.meta, a.tar, b.meta, b.tar, entry("manifest.json", enc.encode("[]")), END]);
  const { out, stats } = await rewrite(full, new Set());
  assert.deepEqual(out, full);
  assert.deepEqual(stats, { bytesIn: full.length, bytesOut: full.length, layersKept: 2, layersDropped: 0 });
});

Deno.test("OCI save format (25+): a present layer's blob is skipped by name; config, index and the rest kept", async () => {
  const cfg = enc.encode(`{"rootfs":{"diff_ids":["${dBase}","${dV2}"]}}`);
  const blobBase = entry(`blobs/sha256/${hex(dBase)}`, base);
  const blobV2 = entry(`blobs/sha256/${hex(dV2)}`, binV2);
  const blobCfg = entry(`blobs/sha256/${hex(digest(cfg))}`, cfg);
  const rest = concat([
    entry("index.json", enc.encode("{}")),
    entry("manifest.json", enc.encode("[]")),
    entry("oci-layout", enc.encode('{"imageLayoutVersion":"1.0.0"}')),
  ]);
  const dirs = concat([
    entry("blobs/", new Uint8Array(0), "5"),
    entry("blobs/sha256/", new Uint8Array(0), "5"),
  ]);
  const full = concat([dirs, blobBase, blobV2, blobCfg, rest, END]);
  const drop = droppableLayers([dBase, dV2], presentChains([[dBase, dV1]]));
  for (const size of [1, 512, 100_000]) {
    const { out, stats } = await rewrite(full, drop, size);
    assert.deepEqual(out, concat([dirs, blobV2, blobCfg, rest, END]), `chunks of ${size}`);
    assert.equal(stats.layersDropped, 1);
    assert.equal(stats.layersKept, 1);
  }
  // Nothing on the host: the archive passes through unchanged.
  assert.deepEqual((await rewrite(full, new Set())).out, full);
});

Deno.test("an extended header goes with its entry: dropped with a dropped layer, kept with a kept one", async () => {
  const long = `blobs/sha256/${hex(dBase)}`;
  const kept = `blobs/sha256/${hex(dV2)}`;
  const full = concat([pax(long), entry(long, base), pax(kept), entry(kept, binV2), END]);
  const { out } = await rewrite(full, new Set([dBase]));
  assert.deepEqual(out, concat([pax(kept), entry(kept, binV2), END]));
});

Deno.test("a truncated archive is an error, not a short image", async () => {
  const full = concat([entry(`blobs/sha256/${hex(dV2)}`, binV2), END]);
  await assert.rejects(rewrite(full.slice(0, 2000), new Set()), /ends inside blobs\/sha256/);
  await assert.rejects(rewrite(full.slice(0, 300), new Set()), /ends inside a header/);
});

Deno.test("an old-format layer spools in $TMPDIR when the process may write there, else in /tmp (the tasks' grant)", () => {
  const folder = () => true;
  assert.equal(spoolDir("/var/tmp/op", () => true, folder), "/var/tmp/op");
  assert.equal(spoolDir("/var/tmp/op", () => false, folder), "/tmp", "deno task grants /tmp, not $TMPDIR");
  assert.equal(spoolDir(undefined, () => true, folder), "/tmp");
  assert.equal(spoolDir("relative", () => true, folder), "/tmp");
  // This process' own answers: the test runs with -A; a TMPDIR that does not exist is not used.
  assert.equal(spoolDir("/var/tmp"), "/var/tmp");
  assert.equal(spoolDir("/tmp/isa-no-such-folder"), "/tmp");
});
