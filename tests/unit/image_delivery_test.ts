/**
 * Image delivery: a push sends only what the host lacks (through fakes of both engines' API, on real
 * archives), compression is decided from measured throughputs, and the deliveries the runner starts
 * early are joined by the steps' changes with their lines shown in the same place as without prefetch.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import type Docker from "dockerode";
import { familiarRepository, imageChange, pushImage } from "../../lib/containers/image_delivery.ts";
import { GZIP_MARGIN, isLoopback, shouldCompress } from "../../lib/containers/compression.ts";
import { Ssh, type SshRoute } from "../../lib/transport/ssh.ts";
import { fakeContext, qualHost } from "../helpers/fake_host.ts";
import { deliveryOptions } from "../../lib/steps/container_recipe.ts";
import { parseFacts } from "../../lib/facts/probe.ts";
import { ImageDeliveries } from "../../lib/containers/deliveries.ts";
import { chainIds } from "../../lib/containers/layer_tar.ts";
import type { ImageTransfer } from "../../lib/engine/report.ts";
import { concat, digest, END, entry, hex, layer } from "../helpers/save_tar.ts";

const enc = new TextEncoder();

Deno.test("compression: never on loopback; only when the measured link is slower than gzip (with a margin)", () => {
  const gzip = 60e6;
  assert.equal(shouldCompress({ loopback: true, linkBytesPerSec: 1e5, gzipBytesPerSec: gzip }), false);
  // The lab's local bridge: hundreds of MB/s, faster than gzip can feed it.
  assert.equal(shouldCompress({ loopback: false, linkBytesPerSec: 400e6, gzipBytesPerSec: gzip }), false);
  // A WAN link of a few MB/s: compressing divides the bytes and costs no time.
  assert.equal(shouldCompress({ loopback: false, linkBytesPerSec: 3e6, gzipBytesPerSec: gzip }), true);
  assert.equal(
    shouldCompress({ loopback: false, linkBytesPerSec: gzip * GZIP_MARGIN, gzipBytesPerSec: gzip }),
    false,
  );
  assert.equal(
    shouldCompress({ loopback: false, linkBytesPerSec: gzip * GZIP_MARGIN - 1, gzipBytesPerSec: gzip }),
    true,
  );
  for (const a of ["127.0.0.1", "127.3.2.1", "::1", "[::1]", "localhost", "LOCALHOST"]) {
    assert.equal(isLoopback(a), true, a);
  }
  for (const a of ["10.0.0.1", "isaqal09", "128.0.0.1", "localhost.example"]) {
    assert.equal(isLoopback(a), false, a);
  }
});

/** Prometheus' image before and after a tag change: a shared base layer, a new binary layer. */
const base = layer(11, 90_000);
const v1 = layer(12, 8_000);
const v2 = layer(13, 9_500);
const REF = "quay.io/prometheus/prometheus:v3.5.6";

/** The controller's `docker save` of the new tag, in the OCI layout of Docker 25+. */
function savedV2(): { archive: Uint8Array; expected: Uint8Array } {
  const cfg = enc.encode(`{"rootfs":{"type":"layers","diff_ids":["${digest(base)}","${digest(v2)}"]}}`);
  const b = entry(`blobs/sha256/${hex(digest(base))}`, base);
  const n = entry(`blobs/sha256/${hex(digest(v2))}`, v2);
  const rest = concat([
    entry(`blobs/sha256/${hex(digest(cfg))}`, cfg),
    entry("index.json", enc.encode("{}")),
    entry("manifest.json", enc.encode(`[{"Config":"blobs/sha256/${hex(digest(cfg))}"}]`)),
    END,
  ]);
  return { archive: concat([b, n, rest]), expected: concat([n, rest]) };
}

/** Fakes of the two engines: the controller's has the image; the host's has `hostLayers` and records the load. */
function engines(
  hostLayers: string[][],
  driverStatus: [string, string][] = [["Backing Filesystem", "extfs"]],
) {
  const { archive } = savedV2();
  const loaded: Uint8Array[] = [];
  const asked: unknown[] = [];
  let hostHas = false;
  const source = {
    getImage: () => ({
      inspect: () => Promise.resolve({ Id: "sha256:new", RootFS: { Layers: [digest(base), digest(v2)] } }),
      get: () => Promise.resolve(Readable.from([archive.slice(0, 50_000), archive.slice(50_000)])),
    }),
  } as unknown as Docker;
  const target = {
    info: () => Promise.resolve({ DriverStatus: driverStatus }),
    listImages: (o: unknown) => {
      asked.push(o);
      return Promise.resolve(hostLayers.map((_, i) => ({ Id: `img${i}` })));
    },
    getImage: (id: string) => ({
      inspect: () => {
        const i = /^img(\d+)$/.exec(id);
        if (i) return Promise.resolve({ Id: id, RootFS: { Layers: hostLayers[Number(i[1])] } });
        return hostHas ? Promise.resolve({ Id: "sha256:new" }) : Promise.reject({ statusCode: 404 });
      },
    }),
    loadImage: async (body: AsyncIterable<Uint8Array>) => {
      for await (const b of body) loaded.push(b);
      hostHas = true;
      return Readable.from([]);
    },
    modem: {
      followProgress: (_s: unknown, done: (e: Error | null, ev: unknown[]) => void) => done(null, []),
    },
  } as unknown as Docker;
  return { source, target, loaded: () => concat(loaded.map((b) => new Uint8Array(b))), archive, asked };
}

Deno.test("a re-deploy after a Prometheus tag change pushes only the changed layer, the rest byte for byte", async () => {
  const { source, target, loaded, archive, asked } = engines([[digest(base), digest(v1)]]);
  const t = await pushImage(source, target, REF, () => {}, {
    related: [REF, "docker.io/library/traefik:v3.7.11"],
  });
  assert.deepEqual(asked, [{ filters: { reference: ["quay.io/prometheus/prometheus", "traefik"] } }]);
  assert.deepEqual(loaded(), savedV2().expected);
  assert.equal(t.bytes, savedV2().expected.length);
  assert.equal(t.fullBytes, archive.length);
  assert.equal(t.layersSent, 1);
  assert.equal(t.layersSkipped, 1);
  assert.equal(t.compressed, false);
  // The only layer bytes that travelled are the new layer's.
  assert.ok(t.bytes < v2.length + 6 * 1024, `${t.bytes} bytes for a ${v2.length}-byte layer`);
});

Deno.test("a fresh host gets the whole archive; a compressed push is the same archive gzip-ed", async () => {
  const fresh = engines([]);
  const t = await pushImage(fresh.source, fresh.target, REF, () => {});
  assert.deepEqual(fresh.loaded(), fresh.archive);
  assert.equal(t.layersSkipped, 0);
  const slow = engines([[digest(base)]]);
  const z = await pushImage(slow.source, slow.target, REF, () => {}, {
    link: { compress: () => Promise.resolve(true) },
  });
  assert.equal(z.compressed, true);
  assert.deepEqual(new Uint8Array(gunzipSync(slow.loaded())), savedV2().expected);
  assert.equal(z.bytes, slow.loaded().length);
});

Deno.test("on the containerd image store the whole archive goes, and the report says why", async () => {
  const e = engines([[digest(base), digest(v1)]], [["driver-type", "io.containerd.snapshotter.v1"]]);
  const t = await pushImage(e.source, e.target, REF, () => {});
  assert.deepEqual(e.loaded(), e.archive);
  assert.match(t.full ?? "", /containerd image store/);
  assert.equal(chainIds([digest(base)])[0], digest(base));
});

/** A promise and its resolver. */
function deferred<T = void>() {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => [resolve, reject] = [res, rej]);
  return { promise, resolve, reject };
}

Deno.test("prefetched pushes go one after another; pulls side by side", async () => {
  const d = new ImageDeliveries();
  const events: string[] = [];
  const gates = [deferred(), deferred()];
  const job = (name: string, gate: Promise<void>) => async () => {
    events.push(`start ${name}`);
    await gate;
    events.push(`end ${name}`);
  };
  d.start("a:1", "push", job("a", gates[0].promise));
  d.start("b:1", "push", job("b", gates[1].promise));
  await Promise.resolve();
  assert.deepEqual(events, ["start a"]);
  gates[0].resolve();
  gates[1].resolve();
  await d.settle();
  assert.deepEqual(events, ["start a", "end a", "start b", "end b"]);

  const p = new ImageDeliveries();
  const pulls: string[] = [];
  const gate = deferred();
  for (const r of ["x:1", "y:1"]) {
    p.start(r, "pull", async () => {
      pulls.push(r);
      await gate.promise;
    });
  }
  assert.deepEqual(pulls, ["x:1", "y:1"]);
  gate.resolve();
  await p.settle();
});

Deno.test("a change joins the prefetched delivery: its kept lines shown when it applies, then live; one run only", async () => {
  const d = new ImageDeliveries();
  const gate = deferred();
  let runs = 0;
  const transfer = { image: "p:1", bytes: 42 } as ImageTransfer;
  const run = async (line: (l: string) => void) => {
    runs++;
    line("early");
    await gate.promise;
    line("late");
    return transfer;
  };
  d.start("p:1", "push", run);
  await Promise.resolve();
  const shown: string[] = [];
  const recorded: ImageTransfer[] = [];
  const change = imageChange(true, () => Promise.reject(new Error("not reached")), "p:1", {
    mode: "push",
    progress: (l) => shown.push(l),
    deliveries: d,
    transferred: (t) => recorded.push(t),
  });
  // Found on the host by the re-probe, but delivered by this run: the change stays, as without prefetch.
  assert.ok(change && change.apply);
  assert.match(change.summary, /^push image p:1 /);
  assert.deepEqual(shown, [], "nothing shown before the step reaches its change");
  const applied = change.apply();
  assert.deepEqual(shown, ["early"]);
  gate.resolve();
  await applied;
  assert.deepEqual(shown, ["early", "late"]);
  assert.equal(runs, 1);
  assert.deepEqual(recorded, [transfer]);
  // Present and not delivered by this run: nothing to do.
  assert.equal(
    imageChange(true, () => Promise.reject(), "q:1", { mode: "push", progress: () => {}, deliveries: d }),
    null,
  );
});

Deno.test("a prefetch that failed fails the step's change, not before; settle never throws", async () => {
  const d = new ImageDeliveries();
  d.start("bad:1", "pull", () => Promise.reject(new Error("manifest unknown")));
  await d.settle();
  const change = imageChange(false, () => Promise.reject(), "bad:1", {
    mode: "pull",
    progress: () => {},
    deliveries: d,
  });
  await assert.rejects(change!.apply!(), /manifest unknown/);
});

Deno.test("the host's images asked for their layers are those of our repositories, as Docker's reference filter names them", () => {
  assert.equal(familiarRepository("quay.io/prometheus/prometheus:v3.5.5"), "quay.io/prometheus/prometheus");
  assert.equal(familiarRepository("docker.io/library/traefik:v3.7.11"), "traefik");
  assert.equal(familiarRepository("docker.io/prom/prometheus:v3.5.5"), "prom/prometheus");
  assert.equal(familiarRepository("localhost:5000/isa/exporter:1"), "localhost:5000/isa/exporter");
  assert.equal(familiarRepository(`quay.io/a/b@sha256:${"0".repeat(64)}`), "quay.io/a/b");
});

Deno.test("a source that fails mid-archive fails the push with its error, compressed or not; nothing hangs", async () => {
  for (const compress of [false, true]) {
    const e = engines([]);
    const broken = {
      getImage: (ref: string) => ({
        inspect: () => e.source.getImage(ref).inspect(),
        get: () => {
          async function* half() {
            yield e.archive.slice(0, 700);
            throw new Error("controller engine went away");
          }
          return Promise.resolve(half());
        },
      }),
    } as unknown as Docker;
    await assert.rejects(
      pushImage(broken, e.target, REF, () => {}, { link: { compress: () => Promise.resolve(compress) } }),
      /controller engine went away/,
      `compress ${compress}`,
    );
  }
});

Deno.test("ssh -G's route: an ssh_config alias resolved, and a proxy (ssh_config's or the inventory's jump) seen", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = `${dir}/ssh_config`;
    await Deno.writeTextFile(
      config,
      [
        "Host lab-alias\n  HostName 127.0.10.9",
        "Host lab-behind\n  HostName 127.0.10.9\n  ProxyJump bastion",
        "Host lab-command\n  HostName 127.0.10.9\n  ProxyCommand nc %h %p",
        "Host campus\n  HostName 10.20.30.40",
      ].join("\n") + "\n",
    );
    const route = async (address: string, jump?: string) => {
      const host = { ...(await qualHost()), ssh: { address, configFile: config, jump } };
      return await new Ssh(host, { controlDir: dir }).route();
    };
    assert.deepEqual(await route("lab-alias"), { hostname: "127.0.10.9", proxied: false });
    assert.deepEqual(await route("127.0.0.1"), { hostname: "127.0.0.1", proxied: false });
    assert.deepEqual(await route("lab-behind"), { hostname: "127.0.10.9", proxied: true }, "ProxyJump");
    assert.deepEqual(await route("lab-command"), { hostname: "127.0.10.9", proxied: true }, "ProxyCommand");
    assert.deepEqual(await route("lab-alias", "bastion"), { hostname: "127.0.10.9", proxied: true }, "jump");
    assert.deepEqual(await route("campus"), { hostname: "10.20.30.40", proxied: false });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a push's compression: a loopback route is neither sampled nor gzipped; any other route samples the link", async () => {
  const decide = async (route: SshRoute) => {
    const ctx = fakeContext(parseFacts(""), await qualHost({ image_delivery: "push" }));
    ctx.ssh.route = () => Promise.resolve(route);
    const compress = await deliveryOptions(ctx, "img/prometheus:1").link!.compress();
    return { compress, sampled: ctx.scripts.some((s) => s.startsWith("cat >/dev/null <<'ISA_SAMPLE'")) };
  };
  assert.deepEqual(await decide({ hostname: "127.0.10.9", proxied: false }), {
    compress: false,
    sampled: false,
  });
  // Behind a jump host, 127.0.0.1 is the jump host's own: the link is measured.
  assert.equal((await decide({ hostname: "127.0.0.1", proxied: true })).sampled, true);
  assert.equal((await decide({ hostname: "10.20.30.40", proxied: false })).sampled, true);
});
