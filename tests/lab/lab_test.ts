/**
 * The lab, for real: brings it up (reusing it when it is already up) and checks the hosts over SSH and HTTP.
 * Needs root, a Docker engine and debootstrap (first run builds the images: about two minutes).
 */
import assert from "node:assert/strict";
import $ from "dax";
import { parse } from "yaml";
import { ensureLab, labUp } from "../../lib/lab/mod.ts";
import { runOnce } from "../../lib/lab/engine.ts";
import { resetHost } from "../helpers/lab.ts";

/** Runs `command` on a lab host with nothing but the generated ssh_config. */
function ssh(sshConfig: string, host: string, command: string) {
  return $`ssh -F ${sshConfig} -o BatchMode=yes -o ConnectTimeout=5 ${host} ${command}`
    .stdin("null").quiet().noThrow();
}

Deno.test({
  name: "lab: hosts up, reachable and fresh",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const lab = await ensureLab(2);
    assert.ok(lab.hosts.length >= 2);
    assert.deepEqual(lab.hosts.slice(0, 2).map((h) => [h.name, h.address, h.container, h.flavour]), [
      ["isaqal09", "127.0.10.9", "isa-lab-isaqal09", "debian"],
      ["isaqal10", "127.0.10.10", "isa-lab-isaqal10", "rhel"],
    ]);

    await t.step("ssh with the generated config reaches every host as root", async () => {
      for (const h of lab.hosts) {
        const r = await ssh(lab.sshConfig, h.name, "whoami; hostname");
        assert.equal(r.code, 0, `${h.name}: ${r.stderr}`);
        assert.deepEqual(r.stdout.trim().split("\n"), ["root", h.name]);
      }
    });

    await t.step("systemd is running or degraded", async () => {
      for (const h of lab.hosts) {
        const r = await ssh(lab.sshConfig, h.name, "systemctl is-system-running");
        assert.match(r.stdout.trim(), /^(running|degraded)$/, h.name);
      }
    });

    await t.step("Apache answers on the host's loopback address", async () => {
      for (const h of lab.hosts) {
        const res = await fetch(`http://${h.address}/`);
        await res.body?.cancel();
        assert.equal(res.status, 200, h.name);
        assert.match(res.headers.get("server") ?? "", /Apache/);
      }
    });

    // Other test files deploy onto the lab; a host made fresh again shows what a new host looks like.
    // The Debian one: the RHEL-shaped isaqal10 comes with Docker preinstalled (rhel_host_test.ts).
    const fresh = "isaqal09";
    await resetHost(lab, fresh);
    const ids = (await ensureLab(2)).hosts.map((h) => h.id);

    await t.step("mod_status is loaded with no <Location /server-status> left", async () => {
      const r = await ssh(
        lab.sshConfig,
        fresh,
        "apache2ctl -M 2>/dev/null | grep -c status_module",
      );
      assert.equal(r.stdout.trim(), "1");
      const g = await ssh(
        lab.sshConfig,
        fresh,
        "grep -ril '^[[:space:]]*<Location /server-status' /etc/apache2",
      );
      assert.equal(g.stdout.trim(), "");
    });

    await t.step("a fresh host has no Docker", async () => {
      const r = await ssh(
        lab.sshConfig,
        fresh,
        "command -v docker dockerd || dpkg -s docker.io docker-ce 2>/dev/null || echo no-docker",
      );
      assert.equal(r.stdout.trim(), "no-docker", `${fresh} has Docker: ${r.stdout}${r.stderr}`);
    });

    await t.step("generated files: inventory, ssh_config, secrets (0600), client key (0600)", async () => {
      const inv = parse(await Deno.readTextFile(lab.inventory));
      assert.equal(inv.deployment, "qual");
      assert.equal(inv.ssh_config, "ssh_config");
      assert.deepEqual(inv.groups.lab.hosts, lab.hosts.map((h) => h.name));
      assert.equal(inv.hosts.isaqal09.address, "isaqal09");
      assert.equal(inv.hosts.isaqal09.vars.fqdn, "isaqal09.lab.internal");
      assert.deepEqual(inv.vars.images, {
        apache_exporter: lab.images.apache_exporter,
        prometheus: lab.images.prometheus,
      });
      assert.deepEqual(inv.hosts.isaqal09.vars.images, { prometheus: lab.images.prometheus_oldest });
      const secrets = parse(await Deno.readTextFile(`${lab.dir}/secrets.yml`));
      assert.equal(
        secrets.registries["quay.io"].username,
        "isa-lab",
        "the registry login the deploy pulls with",
      );
      assert.deepEqual(secrets.frontend.credentials, [{ user: "isa", pass: lab.password }]);
      assert.match(lab.password, /^[A-Za-z0-9\-_.~!*]{24}$/);
      assert.equal((await Deno.stat(`${lab.dir}/secrets.yml`)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(`${lab.dir}/id_ed25519`)).mode! & 0o777, 0o600);
      const cfg = await Deno.readTextFile(lab.sshConfig);
      assert.match(cfg, /Host isaqal09\n\s+HostName 127\.0\.10\.9\n/);
      assert.match(cfg, /StrictHostKeyChecking yes/);
    });

    await t.step("a second up changes nothing and keeps the containers", async () => {
      const again = await labUp(2, () => {});
      assert.equal(again.changed, false);
      assert.deepEqual(again.info.hosts.map((h) => h.id), ids);
      assert.equal(again.info.password, lab.password);
    });

    await t.step("lab images run", async () => {
      const exporter = await runOnce(lab.images.apache_exporter, ["--version"]);
      assert.equal(exporter.code, 0, exporter.output);
      assert.match(exporter.output, /apache_exporter/);
      const prom = await runOnce(lab.images.prometheus, ["--version"]);
      assert.equal(prom.code, 0, prom.output);
      assert.match(prom.output, /prometheus, version \d+\.\d+\.\d+/);
      const promtool = await $`docker run --rm --entrypoint /bin/promtool ${lab.images.prometheus} --version`
        .quiet().noThrow();
      assert.equal(promtool.code, 0, promtool.stderr);
    });
  },
});
