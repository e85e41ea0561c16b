/** `deno task status` on the lab: certificate, TSDB, scrape health, no drift; a hand-edited file is drift (exit 2). */
import * as assert from "node:assert/strict";
import { installPaths } from "../../lib/inventory/paths.ts";
import { loadInventory } from "../../lib/inventory/load.ts";
import { cli, lab, onHost } from "../helpers/lab.ts";

Deno.test("status answers the operator's questions and names drift", async (t) => {
  const info = await lab();
  const inv = info.inventory;
  const h1 = info.hosts[0].name;
  const deploy = await cli("deploy.ts", ["--inventory", inv]);
  assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
  const verify = await cli("verify_metrics.ts", ["--inventory", inv, "--wait", "60s"]);
  assert.equal(verify.code, 0, verify.stdout);

  await t.step("as deployed: certificate days, TSDB size, scrape health, no drift, exit 0", async () => {
    const r = await cli("status.ts", ["--inventory", inv]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const h of info.hosts) assert.match(r.stdout, new RegExp(`${h.name} ok, as deployed`));
    assert.match(r.stdout, /certificate: \d{3} days left/);
    assert.match(r.stdout, /TSDB: [\d.]+ [KMG]?i?B on disk; retention 15d or 2Gi?B/);
    assert.match(r.stdout, /scrape: .*apache up \(\d+s ago\)/);
    // Only alerts that ask for no action (the Watchdog, always firing, is a heartbeat).
    for (const l of r.stdout.split("\n").filter((l) => l.includes("alerts firing:"))) {
      assert.match(
        l,
        /alerts firing: (none|[A-Za-z]+ \((info|none|heartbeat)\)(, [A-Za-z]+ \((info|none|heartbeat)\))*)$/,
      );
    }
    assert.match(r.stdout, /last sample: \d+s ago/);
    assert.match(r.stdout, /drift: no drift/);
    assert.match(r.stdout, /prometheus\s+running\s+quay\.io\/prometheus\/prometheus:\S+\s+up \S+\s+pinned ✓/);
    const j = await cli("status.ts", ["--inventory", inv, "--json"]);
    assert.equal(j.json.exitCode, 0);
    const host = j.json.hosts[0];
    assert.ok(host.certificate.daysLeft > 700, JSON.stringify(host.certificate));
    assert.ok(host.tsdb.bytes > 0);
    assert.ok(
      host.targets.some((x: { job: string; health: string }) => x.job === "apache" && x.health === "up"),
    );
  });

  await t.step("a hand-edited deployed file: the drift line names it, exit 2", async () => {
    const lab = await loadInventory(inv);
    const file = installPaths(lab.hosts[0].vars).prometheusYml;
    assert.equal((await onHost(info, h1, `echo '# edited by hand' >> ${file}`)).code, 0);
    try {
      const r = await cli("status.ts", ["--inventory", inv]);
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stdout, new RegExp(`${h1} (needs attention, )?drift`));
      assert.match(r.stdout, new RegExp(`drift prometheus: .*${file.replaceAll(".", "\\.")}`));
      const j = await cli("status.ts", ["--inventory", inv, "--json", "--limit", h1]);
      assert.equal(j.json.exitCode, 2);
    } finally {
      const r = await cli("deploy.ts", ["--inventory", inv]);
      assert.equal(r.code, 0, r.stdout);
    }
  });
});
