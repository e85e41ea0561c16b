/**
 * On the lab: a push sends only the layers the host lacks. Two images share a base and differ by one
 * layer of incompressible bytes; after the first is pushed, the second's push carries that one layer
 * and no more, as its bytes-sent figure shows (what `deploy -v` prints and the host report keeps).
 */
import assert from "node:assert/strict";
import Dockerode from "dockerode";
import { Readable } from "node:stream";
import { loadInventory } from "../../lib/inventory/load.ts";
import { Ssh } from "../../lib/transport/ssh.ts";
import { CONTROLLER_SOCKET, pushImage } from "../../lib/containers/image_delivery.ts";
import { ensureTinyImage, SLEEPER_C } from "../helpers/tiny_images.ts";
import { concat, END, entry } from "../helpers/save_tar.ts";
import { cli, lab } from "../helpers/lab.ts";

const BASE = "isa-test/sleeper:push-layers";
const BLOB = 768 * 1024;

/** Builds `ref` FROM the base with one layer: a file of `BLOB` random bytes (no network: the base is local). */
async function build(docker: Dockerode, ref: string): Promise<void> {
  const blob = new Uint8Array(BLOB);
  for (let i = 0; i < BLOB; i += 65536) crypto.getRandomValues(blob.subarray(i, i + 65536));
  const context = concat([
    entry("Dockerfile", new TextEncoder().encode(`FROM ${BASE}\nCOPY blob /blob\n`)),
    entry("blob", blob),
    END,
  ]);
  const out = await docker.buildImage(Readable.from([context]), { t: ref });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(out, (err: Error | null, events: { error?: string }[]) => {
      const bad = events?.find((e) => e.error);
      if (err || bad) reject(err ?? new Error(bad!.error));
      else resolve();
    })
  );
}

Deno.test("push on the lab: the second image of a shared base sends only its own layer", async () => {
  const info = await lab();
  const host = (await loadInventory(info.inventory)).hosts[0];
  // The host's engine, whatever an earlier test left it in (a reset host has none).
  const engine = await cli("02_docker.ts", ["--inventory", info.inventory, "--limit", host.name]);
  assert.equal(engine.code, 0, engine.stdout + engine.stderr);
  const controller = new Dockerode({ socketPath: CONTROLLER_SOCKET });
  await ensureTinyImage(controller, BASE, SLEEPER_C);
  const tag = `${Date.now()}`;
  const [a, b] = [`isa-test/push-layers:a${tag}`, `isa-test/push-layers:b${tag}`];
  await build(controller, a);
  await build(controller, b);
  const ssh = new Ssh(host);
  try {
    await ssh.open();
    const target = new Dockerode({ socketPath: await ssh.dockerSocketPath() });
    try {
      const first = await pushImage(controller, target, a, () => {});
      assert.ok(first.bytes >= BLOB, `the first push carries its own layer at least: ${first.bytes}`);
      const second = await pushImage(controller, target, b, () => {});
      assert.equal(second.layersSkipped, 1, "the shared base stays on the controller");
      assert.equal(second.layersSent, 1);
      // Sent uncompressed (no link given): the blob's layer travels whole, and only it (its tar
      // framing, the config and the manifests are a few KiB).
      assert.ok(second.bytes >= BLOB, `${second.bytes} bytes sent`);
      assert.ok(second.bytes < BLOB + 64 * 1024, `${second.bytes} bytes sent for a ${BLOB}-byte layer`);
      assert.ok(second.fullBytes > second.bytes, "the full archive was larger than what travelled");
      const loaded = await target.getImage(b).inspect();
      assert.equal(loaded.RootFS.Layers?.length, 2, "the host's image has both layers");
    } finally {
      for (const ref of [a, b]) await target.getImage(ref).remove().catch(() => {});
    }
  } finally {
    await ssh.close();
    for (const ref of [a, b]) await controller.getImage(ref).remove().catch(() => {});
  }
});
