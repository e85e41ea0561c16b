/**
 * The host-side image cache: its scripts run here with /bin/sh in a temp folder (curl replaced by a
 * recorder), and the precache's order: uploads one after another, each load only once the engine is up,
 * none when the engine step failed.
 */
import assert from "node:assert/strict";
import $ from "dax";
import { cacheImageArchive, loadCachedArchive, parseCached } from "../../lib/commands/image_cache.ts";
import { ImageDeliveries } from "../../lib/containers/deliveries.ts";
import type { CachedImage } from "../../lib/containers/image_cache.ts";
import { precacheImages } from "../../lib/steps/container_recipe.ts";
import { parseFacts } from "../../lib/facts/probe.ts";
import type { Step } from "../../lib/steps/step.ts";
import type Docker from "dockerode";
import { fakeContext, qualHost } from "../helpers/fake_host.ts";
import { digest, hex } from "../helpers/save_tar.ts";
import { until } from "../helpers/until.ts";
import { blankProbed, type Probed } from "../../lib/facts/needs.ts";
import { IMAGE_CACHE_DIR } from "../../lib/base/names.ts";
import { dockerStep } from "../../lib/steps/docker.ts";

/** Runs a built script with /bin/sh, `stdin` as its input, a recording `curl` first on PATH. */
async function sh(script: string, dir: string, stdin: Uint8Array = new Uint8Array(0)) {
  return await $`sh -c ${script}`.env({ PATH: `${dir}/bin:${Deno.env.get("PATH")}` }).stdin(stdin).noThrow()
    .stdout("piped").stderr("piped");
}

async function tempHost(curlAnswer: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "isa-cache-" });
  await Deno.mkdir(`${dir}/bin`);
  await Deno.writeTextFile(
    `${dir}/bin/curl`,
    `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > ${dir}/curl-args\nprintf '%s' '${curlAnswer}'\n`,
  );
  await Deno.chmod(`${dir}/bin/curl`, 0o755);
  return dir;
}

Deno.test("cache script: the archive lands under its own sha256, root-only, leftovers of a dead run removed", async () => {
  const dir = await tempHost("");
  try {
    const cache = `${dir}/cache`;
    await Deno.mkdir(cache);
    await Deno.writeTextFile(`${cache}/.part.dead01`, "half an archive");
    const data = new TextEncoder().encode("an archive".repeat(1000));
    const r = await sh(cacheImageArchive(cache).script, dir, data);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(parseCached(r.stdout), { sum: hex(digest(data)), size: data.length });
    const names = [...Deno.readDirSync(cache)].map((e) => e.name);
    assert.deepEqual(names, [`${hex(digest(data))}.tar`], "no temp file, the dead run's part gone");
    assert.equal((await Deno.stat(cache)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(`${cache}/${names[0]}`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("load script: a whole file goes to POST /images/load and is removed; a damaged one never reaches the engine", async () => {
  const dir = await tempHost('{"stream":"Loaded image: x:1\\n"}');
  try {
    const cache = `${dir}/cache`;
    await Deno.mkdir(cache);
    const data = new TextEncoder().encode("whole");
    const sum = hex(digest(data));
    await Deno.writeFile(`${cache}/${sum}.tar`, data);
    const ok = await sh(loadCachedArchive(cache, sum).script, dir);
    assert.equal(ok.code, 0, ok.stderr);
    const args = (await Deno.readTextFile(`${dir}/curl-args`)).split("\n");
    assert.ok(args.includes("http://docker/images/load?quiet=1"));
    assert.equal(args[args.indexOf("-T") + 1], `${cache}/${sum}.tar`);
    assert.equal(args[args.indexOf("-X") + 1], "POST");
    await assert.rejects(Deno.stat(cache), "removed once loaded, with its folder");

    await Deno.remove(`${dir}/curl-args`);
    await Deno.mkdir(cache);
    await Deno.writeFile(`${cache}/${sum}.tar`, data.subarray(0, 3)); // half-written under the final name
    const bad = await sh(loadCachedArchive(cache, sum).script, dir);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /missing or damaged/);
    await assert.rejects(Deno.stat(`${dir}/curl-args`), "curl never ran");
    assert.deepEqual([...Deno.readDirSync(cache)], [], "the damaged file is removed");
    assert.throws(() => loadCachedArchive(cache, "x; rm -rf /"), /bad image cache digest/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("load script: an error in the engine's answer fails the command with it", async () => {
  const dir = await tempHost('{"errorDetail":{"message":"no space left"},"error":"no space left"}');
  try {
    const data = new TextEncoder().encode("whole");
    const sum = hex(digest(data));
    await Deno.mkdir(`${dir}/cache`);
    await Deno.writeFile(`${dir}/cache/${sum}.tar`, data);
    const r = await sh(loadCachedArchive(`${dir}/cache`, sum).script, dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no space left/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function deferred<T = undefined>() {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => [resolve, reject] = [res, rej]);
  return { promise, resolve, reject };
}

async function precacheScenario(failUpload?: string) {
  const host = await qualHost({ image_delivery: "push" });
  const ctx = fakeContext(parseFacts(""), host);
  ctx.opts = { ...ctx.opts, check: false };
  ctx.deliveries = new ImageDeliveries();
  ctx.docker = () => Promise.resolve({} as Docker);
  const events: string[] = [];
  const gates = new Map<string, ReturnType<typeof deferred<undefined>>>();
  const steps: Step[] = ["a:1", "b:1"].map((ref) => ({
    id: ref,
    needs: () => ({ docker: { images: [ref] } }),
    plan: () => Promise.resolve([]),
  }));
  for (const s of steps) gates.set(s.id, deferred());
  const engine = deferred();
  const refs = precacheImages(ctx, steps, engine.promise, {
    source: () => Promise.resolve({} as Docker),
    push: () => {
      events.push("direct push");
      return Promise.resolve();
    },
    cache: async (_ssh, _src, ref) => {
      events.push(`upload ${ref}`);
      if (ref === failUpload) throw new Error("No space left on device");
      await gates.get(ref)!.promise;
      events.push(`uploaded ${ref}`);
      return { ref, sum: "0".repeat(64), transfer: { image: ref, bytes: 1 }, seconds: 0 } as CachedImage;
    },
    load: (_ssh, _docker, c) => {
      events.push(`load ${c.ref}`);
      return Promise.resolve({ ...c.transfer, seconds: 0 });
    },
  });
  return { ctx, refs, events, gates, engine };
}

Deno.test("precache: uploads one after another while the engine installs; loads only once it answers", async () => {
  const { ctx, refs, events, gates, engine } = await precacheScenario();
  assert.deepEqual(refs, ["a:1", "b:1"]);
  await until("the first upload", 10_000, () => Promise.resolve(events.length ? true : undefined));
  assert.deepEqual(events, ["upload a:1"]);
  gates.get("a:1")!.resolve(undefined);
  await until("the second upload", 10_000, () => Promise.resolve(events.length === 3 ? true : undefined));
  assert.deepEqual(events, ["upload a:1", "uploaded a:1", "upload b:1"], "one after another");
  gates.get("b:1")!.resolve(undefined);
  await until(
    "the second upload's end",
    10_000,
    () => Promise.resolve(events.length === 4 ? true : undefined),
  );
  // Give the loads every chance to run early: they must be waiting for the engine.
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    events,
    ["upload a:1", "uploaded a:1", "upload b:1", "uploaded b:1"],
    "no load before the engine",
  );
  engine.resolve(undefined);
  const shown: string[] = [];
  const t = await ctx.deliveries!.deliver(
    "a:1",
    "push",
    () => Promise.reject(new Error("not again")),
    (l) => shown.push(l),
  );
  assert.equal((t as { image: string }).image, "a:1");
  await ctx.deliveries!.settle();
  assert.deepEqual(events.slice(4).sort(), ["load a:1", "load b:1"]);
});

Deno.test("precache: when the engine step fails nothing is loaded, and the image change reports it", async () => {
  const { ctx, events, gates, engine } = await precacheScenario();
  gates.get("a:1")!.resolve(undefined);
  gates.get("b:1")!.resolve(undefined);
  engine.reject(new Error("the Docker engine step did not complete"));
  await ctx.deliveries!.settle();
  assert.ok(!events.some((e) => e.startsWith("load")));
  await assert.rejects(
    ctx.deliveries!.deliver("a:1", "push", () => Promise.resolve(), () => {}),
    /engine step did not complete/,
  );
});

Deno.test("precache: nothing under --check, with pull, or when the engine already runs", async () => {
  const host = await qualHost({ image_delivery: "push" });
  const steps: Step[] = [{
    id: "x",
    needs: () => ({ docker: { images: ["x:1"] } }),
    plan: () => Promise.resolve([]),
  }];
  const down = parseFacts("");
  const check = fakeContext(down, host);
  check.deliveries = new ImageDeliveries();
  assert.deepEqual(precacheImages(check, steps, Promise.resolve()), [], "--check");
  const pull = fakeContext(down, { ...host, vars: { ...host.vars, image_delivery: "pull" } });
  pull.opts = { ...pull.opts, check: false };
  pull.deliveries = new ImageDeliveries();
  assert.deepEqual(precacheImages(pull, steps, Promise.resolve()), [], "pull");
  const up = fakeContext({ ...down, docker: { ...down.docker, running: true } }, host);
  up.opts = { ...up.opts, check: false };
  up.deliveries = new ImageDeliveries();
  assert.deepEqual(precacheImages(up, steps, Promise.resolve()), [], "engine running: streamed, not cached");
});

Deno.test("the last load removes the cache folder; a folder found beside a running engine is a dead run's, removed by the Docker step", async () => {
  const dir = await tempHost('{"stream":"Loaded image: x:1\\n"}');
  try {
    const data = new TextEncoder().encode("whole");
    const sum = hex(digest(data));
    await Deno.mkdir(`${dir}/cache`);
    await Deno.writeFile(`${dir}/cache/${sum}.tar`, data);
    assert.equal((await sh(loadCachedArchive(`${dir}/cache`, sum).script, dir)).code, 0);
    await assert.rejects(Deno.stat(`${dir}/cache`), "no folder left after the last load");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const host = await qualHost();
  const down = parseFacts("");
  const up = { ...down, docker: { ...down.docker, installed: true, running: true } };
  const probed = blankProbed();
  const stat = { type: "directory", owner: "0:0", mode: "700" } as unknown as NonNullable<
    Probed["dirs"][string]
  >;
  probed.dirs[IMAGE_CACHE_DIR] = stat;
  const summaries = async (facts: typeof up) =>
    (await dockerStep.plan(fakeContext(facts, host, [], probed))).map((c) => c.summary);
  assert.ok((await summaries(up)).some((s) => s.startsWith(`remove ${IMAGE_CACHE_DIR}`)));
  delete probed.dirs[IMAGE_CACHE_DIR];
  assert.ok(!(await summaries(up)).some((s) => s.includes(IMAGE_CACHE_DIR)), "no folder, no change");
});

Deno.test("precache: an upload that failed falls back to a direct push once the engine answers", async () => {
  const { ctx, events, gates, engine } = await precacheScenario("a:1");
  gates.get("b:1")!.resolve(undefined);
  await until("both uploads tried", 10_000, () => Promise.resolve(events.length === 3 ? true : undefined));
  assert.ok(!events.includes("direct push"), "not before the engine");
  engine.resolve(undefined);
  const shown: string[] = [];
  await ctx.deliveries!.deliver(
    "a:1",
    "push",
    () => Promise.reject(new Error("not this")),
    (l) => shown.push(l),
  );
  assert.deepEqual(shown, [
    "a:1: not sent ahead (No space left on device); pushing it once the engine answers",
  ]);
  await ctx.deliveries!.settle();
  assert.deepEqual(events.filter((e) => !e.startsWith("upload ")).sort(), [
    "direct push",
    "load b:1",
    "uploaded b:1",
  ]);
});
