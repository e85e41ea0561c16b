import assert from "node:assert/strict";
import $ from "dax";
import {
  apacheGeneration,
  cli,
  httpStatus,
  lab,
  labVariant,
  onHost,
  rebootHost,
  resetHost,
} from "../helpers/lab.ts";
import type { LabInfo } from "../../lib/lab/mod.ts";
import { until } from "../helpers/until.ts";

// The Debian host: this file installs Docker with apt and edits /etc/apache2 (isaqal10 is RHEL-shaped).
const HOST = "isaqal09";
const ADDR = "127.0.10.9";
const hostSteps = ["02_docker.ts", "03_firewall.ts", "04_apache.ts"];

async function deployHostSteps(inventory: string, extra: string[] = []) {
  const runs = [];
  for (const f of hostSteps) {
    const r = await cli(f, ["--inventory", inventory, "--limit", HOST, "--json", ...extra]);
    assert.ok(r.json, `${f} printed JSON: ${r.stderr}`);
    runs.push(r);
  }
  return runs;
}

/**
 * A re-run of the Apache step converges: exit 0, no change, no reload (the README's "each fault ends
 * with a re-run that converges").
 */
async function apacheConverges(info: LabInfo, inventory: string): Promise<void> {
  const before = await apacheGeneration(info, HOST);
  const r = await cli("04_apache.ts", ["--inventory", inventory, "--limit", HOST, "--json"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const apache = r.json.hosts[0].steps.find((s: { step: string }) => s.step === "apache");
  assert.equal(apache.status, "ok", JSON.stringify(apache));
  assert.deepEqual(apache.changes, [], "nothing left to change");
  assert.deepEqual(await apacheGeneration(info, HOST), before, "no reload");
}

/** The firewall step's line for the rules it applied: which ports it opened and closed. */
function appliedFirewall(dashboard: "open" | "closed"): RegExp {
  return new RegExp(
    `^${HOST}\\s+firewall\\s+→ load nftables table inet isa_monitoring \\(8443 open, 8080 ${dashboard}; br-[0-9a-f]{12} reachable only as published\\)$`,
    "m",
  );
}

function statuses(runs: { json?: { hosts: { steps: { step: string; status: string }[] }[] } }[]) {
  return runs.flatMap((r) => r.json!.hosts[0].steps.map((s) => `${s.step}:${s.status}`));
}

Deno.test("host steps on a fresh lab host: Docker, firewall, Apache block; idempotent; faults refused", async (t) => {
  let info = await lab();
  info = await resetHost(info, HOST);
  const inv = info.inventory;

  await t.step("a fresh host has no Docker", async () => {
    const r = await onHost(info, HOST, "command -v docker || echo no-docker");
    assert.equal(r.out, "no-docker");
  });

  await t.step(
    "first run installs Docker, sets the firewall, writes the block and reloads Apache",
    async () => {
      const before = await apacheGeneration(info, HOST);
      const runs = await deployHostSteps(inv);
      for (const r of runs) assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(statuses(runs), ["docker:changed", "firewall:changed", "apache:changed"]);
      const st = await onHost(
        info,
        HOST,
        "systemctl is-active docker; systemctl is-enabled docker; cat /etc/docker/daemon.json",
      );
      assert.match(st.out, /^active\nenabled\n/);
      assert.match(st.out, /"max-size": "10m"/);
      const status = await onHost(info, HOST, "curl -s 'http://localhost/server-status?auto'");
      assert.match(status.out, /^Scoreboard: [_.A-Z]+$/m);
      assert.equal(
        await httpStatus(`http://${ADDR}/server-status?auto`),
        403,
        "refused from outside the host",
      );
      const after = await apacheGeneration(info, HOST);
      assert.equal(after.pid, before.pid, "graceful reload, not a restart");
      assert.notEqual(after.generation, before.generation, "the configuration was reloaded");
    },
  );

  await t.step("second run: every step ok, zero changes, no reload", async () => {
    const before = await apacheGeneration(info, HOST);
    const runs = await deployHostSteps(inv);
    assert.deepEqual(statuses(runs), ["docker:ok", "firewall:ok", "apache:ok"]);
    assert.ok(
      runs.every((r) => r.json.hosts[0].steps.every((s: { changes: unknown[] }) => s.changes.length === 0)),
    );
    assert.deepEqual(await apacheGeneration(info, HOST), before);
    const tables = await onHost(info, HOST, "nft list tables | grep -c 'inet isa_monitoring'");
    assert.equal(tables.out, "1", "one table of ours after several runs");
  });

  await t.step(
    "a config broken elsewhere: the step fails with Apache's message, nothing changes",
    async () => {
      const conf = "/etc/apache2/conf-available/EPFL_isa.conf";
      await onHost(info, HOST, `sed -i 's/Require local/Require local\\n  # drift/' ${conf}`);
      const ours = (await onHost(info, HOST, `sha256sum ${conf}`)).out;
      await onHost(info, HOST, "echo 'ThisIsNotADirective on' > /etc/apache2/conf-enabled/zz-broken.conf");
      const before = await apacheGeneration(info, HOST);
      const r = await cli("04_apache.ts", ["--inventory", inv, "--limit", HOST]);
      assert.equal(r.code, 2, "a failed host exits 2");
      assert.match(r.stdout, /already broken/);
      assert.match(r.stdout, /ThisIsNotADirective/, "Apache's own message is shown");
      assert.equal((await onHost(info, HOST, `sha256sum ${conf}`)).out, ours, "our file is as before");
      assert.equal(await httpStatus(`http://${ADDR}/`), 200, "Apache still serves");
      assert.deepEqual(await apacheGeneration(info, HOST), before);
      await onHost(info, HOST, "rm -f /etc/apache2/conf-enabled/zz-broken.conf");
      // Once the foreign breakage is gone, the re-run repairs our drifted block, then converges.
      const fixed = await cli("04_apache.ts", ["--inventory", inv, "--limit", HOST, "--json"]);
      assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
      assert.deepEqual(statuses([fixed]), ["apache:changed"], "the drift in our block is repaired");
      assert.doesNotMatch((await onHost(info, HOST, `cat ${conf}`)).out, /# drift/);
      await apacheConverges(info, inv);
    },
  );

  await t.step("a change that fails validation is rolled back and Apache keeps running", async () => {
    const conf = "/etc/apache2/conf-available/EPFL_isa.conf";
    const ours = (await onHost(info, HOST, `sha256sum ${conf}`)).out;
    const { Ssh } = await import("../../lib/transport/ssh.ts");
    const { writeFileScript } = await import("../../lib/commands/files.ts");
    const { loadInventory } = await import("../../lib/inventory/load.ts");
    const { gatherFacts } = await import("../../lib/facts/gather.ts");
    const { changeApache } = await import("../../lib/commands/apache.ts");
    const host = (await loadInventory(inv)).hosts.find((h) => h.name === HOST)!;
    const ssh = new Ssh(host);
    const facts = await gatherFacts(ssh);
    const before = await apacheGeneration(info, HOST);
    // The real apply script, given content Apache rejects.
    const bad = writeFileScript(conf, "<Location /server-status>\n  NotADirective\n</Location>\n", {
      mode: 0o644,
    });
    const r = await ssh.run(changeApache(facts.apache!, { change: bad }, "bad").script, { check: false });
    await ssh.close();
    assert.equal(r.code, 3);
    assert.match(r.stderr, /NotADirective/, "the validator's message comes back");
    assert.equal((await onHost(info, HOST, `sha256sum ${conf}`)).out, ours, "previous file restored");
    assert.deepEqual(await apacheGeneration(info, HOST), before, "no reload, no restart");
    assert.equal(await httpStatus(`http://${ADDR}/`), 200, "Apache still serves");
    // The tool itself, run again, finds everything as it wants it.
    await apacheConverges(info, inv);
  });

  await t.step("an unmanaged <Location /server-status> is refused and nothing changes", async () => {
    await onHost(
      info,
      HOST,
      "printf '<Location /server-status>\\n  SetHandler server-status\\n</Location>\\n' > /etc/apache2/conf-enabled/zz-status.conf",
    );
    await onHost(
      info,
      HOST,
      "rm -f /etc/apache2/conf-available/EPFL_isa.conf /etc/apache2/conf-enabled/EPFL_isa.conf && systemctl reload apache2",
    );
    const before = await apacheGeneration(info, HOST);
    const r = await cli("04_apache.ts", ["--inventory", inv, "--limit", HOST]);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /unmanaged <Location \/server-status>[\s\S]*zz-status\.conf:1/);
    assert.notEqual(
      (await onHost(info, HOST, "test -e /etc/apache2/conf-available/EPFL_isa.conf")).code,
      0,
      "nothing written",
    );
    assert.deepEqual(await apacheGeneration(info, HOST), before);
    await onHost(info, HOST, "rm -f /etc/apache2/conf-enabled/zz-status.conf && systemctl reload apache2");
    const again = await cli("04_apache.ts", ["--inventory", inv, "--limit", HOST]);
    assert.equal(again.code, 0, `re-run converges: ${again.stdout}${again.stderr}`);
    // It writes our block again (removed above), enables it, and reloads Apache.
    assert.match(
      again.stdout,
      /^isaqal09\s+apache\s+→ create \/etc\/apache2\/conf-available\/EPFL_isa\.conf, a2enconf EPFL_isa(, a2enmod status)?; \S+ -t; graceful reload of apache2$/m,
    );
    assert.match(again.stdout, /^isaqal09\s+changed\s+ok=\d+ changed=\d+ failed=0 unreachable=0/m);
  });

  await t.step(
    "--prod semantics close 8080 even for a container that publishes it; qual opens it again",
    async () => {
      const img = info.images.apache_exporter;
      await $`docker save ${img}`.pipe($`ssh -F ${info.sshConfig} ${HOST} docker load`).quiet();
      await onHost(
        info,
        HOST,
        "docker rm -f isa-test-web >/dev/null 2>&1; " +
          `docker run -d --name isa-test-web -p 8080:9117 -p 8443:9117 ${img} --scrape_uri=http://127.0.0.1/ >/dev/null`,
      );
      const prod = await labVariant(
        info,
        "prod",
        (t) =>
          t.replace("deployment: qual", "deployment: prod").replace("dashboard: true", "dashboard: false"),
      );
      try {
        // The container answers once it listens (0 until then: nothing answers).
        const first = await until(
          "the test container answering on 8080",
          30_000,
          async () => (await httpStatus(`http://${ADDR}:8080/metrics`)) || undefined,
          200,
        );
        assert.equal(first, 200, "qual: 8080 reachable");
        const p = await cli("03_firewall.ts", ["--inventory", prod, "--limit", HOST]);
        assert.equal(p.code, 0, p.stdout + p.stderr);
        assert.match(p.stdout, appliedFirewall("closed"), p.stdout);
        assert.equal(
          await httpStatus(`http://${ADDR}:8080/metrics`),
          0,
          "prod: 8080 closed from the controller",
        );
        assert.equal(await httpStatus(`http://${ADDR}:8443/metrics`), 200, "prod: 8443 still reachable");
        const q = await cli("03_firewall.ts", ["--inventory", inv, "--limit", HOST]);
        assert.equal(q.code, 0, q.stdout + q.stderr);
        assert.match(q.stdout, appliedFirewall("open"), q.stdout);
        assert.equal(await httpStatus(`http://${ADDR}:8080/metrics`), 200, "back to qual: 8080 open");
        // Leave it in prod state for the reboot check.
        const again = await cli("03_firewall.ts", ["--inventory", prod, "--limit", HOST]);
        assert.equal(again.code, 0, again.stdout + again.stderr);
        assert.match(again.stdout, appliedFirewall("closed"), again.stdout);
      } finally {
        await Deno.remove(prod).catch(() => {});
      }
    },
  );

  await t.step("after a reboot Docker runs and the firewall rules are back", async () => {
    await rebootHost(info, HOST);
    const r = await onHost(
      info,
      HOST,
      "systemctl is-active docker isa-monitoring-firewall; nft list table inet isa_monitoring | grep -c 'proto-dst 8080 drop'",
    );
    assert.equal(r.out, "active\nactive\n1");
    assert.equal(await httpStatus(`http://${ADDR}:8080/metrics`), 0, "8080 still closed after the reboot");
    await onHost(info, HOST, "docker rm -f isa-test-web >/dev/null 2>&1");
    const q = await cli("03_firewall.ts", ["--inventory", inv, "--limit", HOST]);
    assert.equal(q.code, 0, q.stdout + q.stderr);
    assert.match(q.stdout, appliedFirewall("open"), q.stdout);
  });
});
