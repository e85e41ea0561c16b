/**
 * The read and write tasks on the lab under the permissions deno.json declares (not -A): deploy,
 * verify-metrics, status and top --once work as `deno task` runs them, and so does a deploy that pushes
 * an image from the controller. (grafana --check runs under its declared permissions in
 * grafana_task_test.ts.)
 */
import * as assert from "node:assert/strict";
import Dockerode from "dockerode";
import { cli, lab, labVariant, onHost } from "../helpers/lab.ts";
import { layeredVariant } from "../../lib/lab/app_images.ts";
import { CONTROLLER_SOCKET } from "../../lib/containers/image_delivery.ts";
import type { HostReport } from "../../lib/engine/report.ts";
import { loadInventory } from "../../lib/inventory/load.ts";

Deno.test("deploy, verify-metrics, status and top --once work under their declared permissions", async (t) => {
  const info = await lab();
  const inv = info.inventory;
  const run = (file: string, ...args: string[]) =>
    cli(file, ["--inventory", inv, ...args], {}, { declared: true });
  for (
    const [file, args] of [
      ["deploy.ts", []],
      ["verify_metrics.ts", ["--wait", "60s"]],
      ["status.ts", []],
      ["top.ts", ["--once"]],
    ] as const
  ) {
    await t.step(`${file} ${args.join(" ")}`, async () => {
      const r = await run(file, ...args);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout + r.stderr, /Requires \w+ access|NotCapable|PermissionDenied/);
    });
  }
});

Deno.test("deploy pushes an image the host lacks under its declared permissions", async () => {
  const info = await lab();
  const host = (await loadInventory(info.inventory)).hosts[0];
  // A new tag on the Prometheus image the host runs: a push that leaves out the layers it holds, the path
  // that spools each layer of a Docker before 25's `docker save` (the controller's here) while hashing it.
  const base = host.vars.images.prometheus;
  const ref = await layeredVariant(base, `perm${Date.now()}`, 64 * 1024);
  const pushed = await labVariant(info, "push-permissions", (text) => {
    const line = new RegExp(`^( +prometheus: )${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b.*$`, "m");
    assert.match(text, line, `the inventory names ${base}`);
    return text.replace(/^ {2}image_delivery: pull$/m, "  image_delivery: push").replace(line, `$1${ref}`);
  });
  const deploy = (inventory: string) =>
    cli("deploy.ts", ["--inventory", inventory, "--limit", host.name, "--json"], {}, { declared: true });
  // The host holds the lab's own images first (pulled), whatever an earlier test left.
  const before = await deploy(info.inventory);
  assert.equal(before.code, 0, before.stdout + before.stderr);
  try {
    const r = await deploy(pushed);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /Requires \w+ access|NotCapable|PermissionDenied/);
    const report = (JSON.parse(r.stdout).hosts as HostReport[])[0];
    const sent = report.transfers?.find((t) => t.image === ref);
    assert.ok(sent, `no push of ${ref} reported: ${r.stdout}`);
    assert.equal(sent.layersSent, 1, JSON.stringify(sent));
    assert.ok(sent.layersSkipped >= 1, JSON.stringify(sent));
  } finally {
    // The lab's own image again, for the tests after this one.
    const back = await deploy(info.inventory);
    await new Dockerode({ socketPath: CONTROLLER_SOCKET }).getImage(ref).remove().catch(() => {});
    await onHost(info, host.name, `docker image rm ${ref} >/dev/null 2>&1 || true`);
    assert.equal(back.code, 0, back.stdout + back.stderr);
  }
});
