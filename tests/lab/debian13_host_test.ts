/**
 * The Debian 13 lab host (isaqal11, files/lab/host-trixie/): trixie's own Apache, OpenSSH, systemd and
 * nftables, and the engine the deploy installs from trixie's archive. The whole rollout on it, as an
 * operator runs it: deploy (engine install included), verify-metrics, a no-op re-run, status.
 */
import assert from "node:assert/strict";
import { DEFAULT_HOSTS, ensureLab } from "../../lib/lab/mod.ts";
import { cli, onHost } from "../helpers/lab.ts";

const HOST = "isaqal11";
const RECAP_DONE = new RegExp(`^${HOST}\\s+(ok|changed)\\s+ok=\\d+ changed=\\d+ failed=0 unreachable=0`, "m");

Deno.test("the Debian 13 lab host: trixie's own programs, and the whole rollout on it", async (t) => {
  // The default lab's third host; the other lab tests keep to the first two.
  const info = await ensureLab(DEFAULT_HOSTS);
  assert.equal(info.hosts.find((h) => h.name === HOST)?.flavour, "trixie");
  const run = (file: string, extra: string[] = []) =>
    cli(file, ["--inventory", info.inventory, "--limit", HOST, ...extra]);

  await t.step("os-release, Apache, OpenSSH and nft are trixie's", async () => {
    const r = await onHost(
      info,
      HOST,
      ". /etc/os-release; echo $ID $VERSION_ID $VERSION_CODENAME; " +
        "dpkg-query -W -f '${Package} ${Version}\\n' apache2 openssh-server nftables systemd",
    );
    const [os, ...lines] = r.stdout.trim().split("\n");
    const v = Object.fromEntries(lines.map((l) => l.split(" ")));
    assert.equal(os, "debian 13 trixie");
    // Debian 12 has 2.4.62 / 9.2p1 / 1.0.6 / 252: each of these is a later line.
    assert.match(v.apache2, /^2\.4\.(6[3-9]|[7-9]\d)-/, r.stdout);
    assert.match(v["openssh-server"], /^1:(9\.[89]|1\d\.)/, r.stdout);
    assert.match(v.nftables, /^1\.1\./, r.stdout);
    assert.match(v.systemd, /^25[7-9]/, r.stdout);
  });

  await t.step("facts: Debian 13 is supported, Apache read through apache2ctl's layout", async () => {
    const r = await run("01_facts.ts", ["-v"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /system: Debian GNU\/Linux 13 \(trixie\) \(debian 13, debian family\)/, r.stdout);
    assert.match(r.stdout, /apache: \/usr\/sbin\/apache2 2\.4\.\d+ /, r.stdout);
    assert.match(r.stdout, /config test ok/, r.stdout);
  });

  await t.step("deploy: trixie's docker.io installed, every step done", async () => {
    const r = await run("deploy.ts");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, RECAP_DONE, r.stdout);
    const engine = await onHost(
      info,
      HOST,
      "dpkg-query -W -f '${Version}\\n' docker.io; apt-cache policy docker.io | grep -m1 -o 'trixie[^ ]*/main'; " +
        "systemctl is-active docker; command -v docker",
    );
    const [version, origin, state, client] = engine.stdout.trim().split("\n");
    assert.match(version, /^2[6-9]\./, `docker.io ${version} (Debian 12 has 20.10)`);
    assert.match(origin ?? "", /^trixie/, engine.out);
    assert.equal(state, "active");
    // trixie's docker.io only recommends its client (docker-cli): the deploy installs it too.
    assert.equal(client, "/usr/bin/docker", engine.out);
  });

  await t.step("verify-metrics: every check passes", async () => {
    const r = await run("verify_metrics.ts", ["--wait", "90s"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^${HOST} ok `, "m"), r.stdout);
    assert.match(r.stdout, /^1\/1 host\(s\) verified in /m, r.stdout);
  });

  await t.step("a re-run changes nothing; status sees no drift", async () => {
    const r = await run("deploy.ts", ["--json"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const steps = r.json.hosts[0].steps as { step: string; status: string }[];
    assert.ok(steps.length >= 6, JSON.stringify(steps));
    assert.deepEqual(steps.filter((s) => s.status !== "ok"), [], "every step ok, none changed");
    const s = await run("status.ts");
    assert.equal(s.code, 0, s.stdout + s.stderr);
    assert.match(s.stdout, new RegExp(`^${HOST} ok, as deployed$`, "m"), s.stdout);
    assert.match(s.stdout, /^ {2}drift: no drift$/m, s.stdout);
  });

  await t.step("our nftables table is loaded by trixie's nft", async () => {
    const r = await onHost(info, HOST, "nft list table inet isa_monitoring >/dev/null && echo loaded");
    assert.equal(r.out, "loaded");
  });
});
