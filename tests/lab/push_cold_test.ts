/**
 * On the lab: `image_delivery: push` onto a fresh host. The images travel into the host's cache while
 * the Docker step installs the engine and are loaded once it answers; the output keeps its order (each
 * image's change under its container step); nothing is left in the cache; a re-run sends nothing.
 */
import assert from "node:assert/strict";
import { cli, lab, labVariant, onHost, resetHost } from "../helpers/lab.ts";
import { IMAGE_CACHE_DIR } from "../../lib/base/names.ts";
import type { HostReport } from "../../lib/engine/report.ts";

const HOST = "isaqal09";

Deno.test("push onto a fresh host: images sent while the engine installs, loaded after; a re-run sends nothing", async () => {
  let info = await lab();
  info = await resetHost(info, HOST);
  const variant = await labVariant(
    info,
    "push-cold",
    (x) => x.replace("image_delivery: pull", "image_delivery: push"),
  );
  try {
    assert.equal((await onHost(info, HOST, "command -v dockerd || echo none")).out, "none", "a fresh host");
    const first = await cli("deploy.ts", ["--inventory", variant, "--limit", HOST, "--json"]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const report = first.json.hosts[0] as HostReport;
    const transfers = report.transfers ?? [];
    assert.ok(
      transfers.length >= 2,
      `the exporter's and Prometheus' images at least: ${JSON.stringify(transfers)}`,
    );
    for (const t of transfers) {
      assert.equal(t.viaCache, true, `${t.image} went through the host's cache while the engine installed`);
      assert.ok(t.bytes > 0 && t.bytes <= t.fullBytes * 1.01, JSON.stringify(t));
    }
    // Each image's change is in its container step, as without the overlap.
    const pushes = report.steps.flatMap((s) =>
      s.changes.filter((c) => c.summary.startsWith("push image ")).map(() => s.step)
    );
    assert.deepEqual(pushes.sort(), ["exporter", "prometheus"].sort());
    assert.equal(
      (await onHost(info, HOST, `test -e ${IMAGE_CACHE_DIR} && echo left || echo gone`)).out,
      "gone",
      "every archive loaded and removed, with the folder",
    );

    const again = await cli("deploy.ts", ["--inventory", variant, "--limit", HOST, "--json"]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal((again.json.hosts[0] as HostReport).transfers, undefined, "nothing sent on a re-run");
    assert.equal(again.json.hosts[0].status, "ok");
  } finally {
    await Deno.remove(variant);
  }
});
