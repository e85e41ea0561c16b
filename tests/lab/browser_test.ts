/**
 * The link `deno task demo` prints (labGraphLink), opened in a real browser (headless Chromium from Debian's
 * packages) with the lab credentials: Prometheus' page renders a graph of apache_scoreboard.
 * Fails, naming the package, when chromium is not installed (`deno task test` installs it): never skipped.
 */
import * as assert from "node:assert/strict";
import { join } from "node:path";
import { cli, lab, onHost } from "../helpers/lab.ts";
import { hasChromium, spkiHash, waitFor, withChromium } from "../helpers/chromium.ts";
import { installPaths } from "../../lib/inventory/paths.ts";
import { loadInventory } from "../../lib/inventory/load.ts";
import { labGraphLink } from "../../lib/lab/inventory.ts";

Deno.test({
  name: "browser: the demo's link renders a graph of apache_scoreboard",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    assert.ok(
      hasChromium(),
      "/usr/bin/chromium is missing: apt-get install -y chromium (deno task test does)",
    );
    const info = await lab();
    const inv = await loadInventory(info.inventory);
    const host = inv.hosts[0];
    // Only this host needs to be deployed (the other may be in another test's hands).
    const deploy = await cli("deploy.ts", ["--inventory", info.inventory, "--limit", host.name]);
    assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
    const verify = await cli("verify_metrics.ts", [
      "--inventory",
      info.inventory,
      "--limit",
      host.name,
      "--wait",
      "60s",
    ]);
    assert.equal(verify.code, 0, verify.stdout);
    // The demo prints exactly this link (tasks/demo.ts calls labGraphLink).
    const link = labGraphLink(host);
    assert.ok(
      link.startsWith(`https://${host.vars.public_address}:${host.vars.ports.https}/classic/graph?`),
      link,
    );

    const cert = await onHost(info, host.name, `cat ${installPaths(host.vars).cert}`);
    assert.equal(cert.code, 0, cert.out);
    const auth = "Basic " + btoa(`${info.user}:${info.password}`);
    const shot = join(info.dir, `browser-${host.name}.png`);
    const text = await withChromium([await spkiHash(cert.out + "\n")], async (page) => {
      await page.send("Network.enable");
      await page.send("Network.setExtraHTTPHeaders", { headers: { Authorization: auth } });
      await page.send("Page.enable");
      await page.send("Page.navigate", { url: link });
      // Rickshaw draws one path per series in the graph area and a legend entry per series.
      await waitFor(
        page,
        "document.querySelectorAll('.graph_area svg path').length >= 1 && document.querySelectorAll('.legend .line').length >= 1",
        30_000,
      );
      const png = await page.send("Page.captureScreenshot", { format: "png" });
      await Deno.writeFile(shot, Uint8Array.from(atob(png.data as string), (c) => c.charCodeAt(0)));
      return {
        body: String(await page.eval("document.body.innerText")),
        expr: String(await page.eval("document.querySelector('.expression_input').value")),
        paths: Number(await page.eval("document.querySelectorAll('.graph_area svg path').length")),
        title: String(await page.eval("document.title")),
      };
    });
    console.log(`screenshot: ${shot}`);
    assert.equal(text.expr, `apache_scoreboard{instance="${host.name}"}`);
    assert.match(text.title, /Prometheus/);
    assert.ok(text.paths >= 1, "a graph line is drawn");
    // The legend names the series: the scoreboard's states of that host.
    for (const state of ["idle", "open_slot"]) {
      assert.match(text.body, new RegExp(`state="${state}"`), `legend shows state=${state}`);
    }
    assert.match(text.body, new RegExp(`instance="${host.name}"`));
    assert.doesNotMatch(text.body, /error reading base template|Unauthorized/);
    const png = await Deno.readFile(shot);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG screenshot");
    assert.ok(png.length > 10_000, `screenshot of ${png.length} bytes is not a rendered page`);
  },
});
