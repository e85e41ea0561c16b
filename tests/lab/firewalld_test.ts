/**
 * Issue 23, item 1, on the RHEL-shaped host (firewalld 1.3, nftables backend; its reload and restart
 * delete every iptables chain): a host of the previous version (a chain in DOCKER-USER, the firewalld
 * watcher running) is migrated by one run of the firewall step; then, with production settings and
 * `allowed_sources` naming the other lab host only, 8080 stays closed to everyone and 8443 open to that
 * host only: during 20 back-to-back `firewall-cmd --reload`s (a probe loop from this machine sees no
 * opening), and after firewalld, docker and nftables restarts and a reboot.
 *
 * Runs the Docker and firewall steps only (as deploy runs them) and a stand-in container that publishes
 * both ports: what is under test is the firewall.
 */
import assert from "node:assert/strict";
import $ from "dax";
import { cli, httpStatus, lab, labVariant, onHost, rebootHost, resetHost } from "../helpers/lab.ts";
import { networkAddress } from "../../lib/lab/layout.ts";
import { TABLE, UNIT_NAME } from "../../lib/base/names.ts";
import { LEGACY_WATCH_UNIT_NAME, LEGACY_WATCH_UNIT_PATH } from "../../lib/base/names.ts";

const HOST = "isaqal10";
const OTHER = "isaqal09";
const ADDR = "127.0.10.10";

/** What this machine (not an allowed source) sees of both ports, once: 0 is closed. */
async function fromHere() {
  return {
    dashboard: await httpStatus(`http://${ADDR}:8080/metrics`),
    https: await httpStatus(`http://${ADDR}:8443/metrics`),
  };
}

/** What the other lab host (the allowed source) sees of both ports, once: "000" is closed. */
async function fromOther(info: { sshConfig: string }) {
  const code = (port: number) =>
    `curl -s -m 3 -o /dev/null -w '%{http_code}' http://${networkAddress(HOST)}:${port}/metrics; echo`;
  const r = await onHost(info, OTHER, `${code(8080)}; ${code(8443)}`);
  const [dashboard, https] = r.out.split("\n");
  return { dashboard, https };
}

/**
 * The ports as they must be: closed from here, 8443 only from the other host. The other host's 8443 is
 * polled (Docker puts its own rules back a moment after firewalld or itself restarts); the closed ports
 * are measured after that, and must be closed.
 */
async function enforced(info: { sshConfig: string }, ms = 30_000) {
  const deadline = Date.now() + ms;
  let other = await fromOther(info);
  while (other.https !== "200" && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    other = await fromOther(info);
  }
  assert.deepEqual(other, { dashboard: "000", https: "200" }, `from ${OTHER} (listed)`);
  assert.deepEqual(await fromHere(), { dashboard: 0, https: 0 }, "from this machine (not listed)");
}

/** Our table is loaded, with its rules. */
async function tableLoaded(info: { sshConfig: string }) {
  const r = await onHost(info, HOST, `nft list table inet ${TABLE} | grep -c 'proto-dst 8080 drop'`);
  assert.equal(r.out, "1", `table inet ${TABLE} with the dashboard rule: ${r.out}`);
}

/** The previous version's parts, as it left them: the chain in DOCKER-USER, its script and unit, the watcher. */
const PREVIOUS_VERSION = `set -e
iptables -w -N ISA-MONITORING
iptables -w -A ISA-MONITORING -p tcp -m conntrack --ctstate DNAT --ctorigdstport 8080 -m comment --comment isa-monitoring -j DROP
iptables -w -A ISA-MONITORING -m comment --comment isa-monitoring -j RETURN
iptables -w -I DOCKER-USER 1 -j ISA-MONITORING
printf '#!/bin/sh\\ntrue\\n' > /usr/local/sbin/isa-monitoring-firewall
printf '#!/bin/sh\\nexec sleep infinity\\n' > /usr/local/sbin/isa-monitoring-firewalld-watch
chmod 755 /usr/local/sbin/isa-monitoring-firewall /usr/local/sbin/isa-monitoring-firewalld-watch
printf '[Unit]\\nAfter=docker.service\\n[Service]\\nType=oneshot\\nRemainAfterExit=yes\\nExecStart=/usr/local/sbin/isa-monitoring-firewall\\n[Install]\\nWantedBy=docker.service\\n' > /etc/systemd/system/${UNIT_NAME}
printf '[Unit]\\nAfter=firewalld.service\\nPartOf=firewalld.service\\n[Service]\\nExecStart=/usr/local/sbin/isa-monitoring-firewalld-watch\\nRestart=always\\n[Install]\\nWantedBy=firewalld.service\\n' > ${LEGACY_WATCH_UNIT_PATH}
systemctl daemon-reload
systemctl enable --now ${UNIT_NAME} ${LEGACY_WATCH_UNIT_NAME} >/dev/null 2>&1
systemctl is-active ${LEGACY_WATCH_UNIT_NAME}`;

Deno.test("nftables table: migration, then 8080 closed and allowed_sources enforced through firewalld reloads and restarts (RHEL-shaped host)", async (t) => {
  // A fresh host: an earlier test may have left our stack (Prometheus on 8443) deployed there.
  const info = await resetHost(await lab(), HOST);
  assert.equal(info.hosts.find((h) => h.name === HOST)?.flavour, "rhel");
  assert.equal((await onHost(info, HOST, "firewall-cmd --state")).out, "running");
  const prod = await labVariant(
    info,
    "prod-nft",
    (t) =>
      t.replace("deployment: qual", "deployment: prod").replace("dashboard: true", "dashboard: false")
        .replace("vars:\n", `vars:\n  allowed_sources: [${networkAddress(OTHER)}/32]\n`),
  );
  try {
    await t.step(
      "a host of the previous version is migrated by one run; the next run is a no-op",
      async () => {
        const d = await cli("02_docker.ts", ["--inventory", prod, "--limit", HOST]);
        assert.equal(d.code, 0, d.stdout + d.stderr);
        assert.equal(
          (await onHost(info, HOST, PREVIOUS_VERSION)).out,
          "active",
          "the previous version's state",
        );
        const f = await cli("03_firewall.ts", ["--inventory", prod, "--limit", HOST]);
        assert.equal(f.code, 0, f.stdout + f.stderr);
        assert.match(
          f.stdout,
          /remove what earlier versions installed: chain, watch-unit, watch-script, script/,
        );
        const left = await onHost(
          info,
          HOST,
          "iptables -w -S ISA-MONITORING >/dev/null 2>&1 && echo chain; " +
            "iptables -w -S DOCKER-USER | grep -c ISA-MONITORING; " +
            `ls ${LEGACY_WATCH_UNIT_PATH} /usr/local/sbin/isa-monitoring-firewall* 2>/dev/null; ` +
            `systemctl is-active ${LEGACY_WATCH_UNIT_NAME}; systemctl is-active ${UNIT_NAME}; true`,
        );
        assert.equal(left.out, "0\ninactive\nactive", "no chain, no jump, no watcher; our unit active");
        await tableLoaded(info);
        const again = await cli("03_firewall.ts", ["--inventory", prod, "--limit", HOST, "--json"]);
        assert.equal(again.code, 0, again.stdout + again.stderr);
        assert.equal(again.json.hosts[0].steps[0].status, "ok");
        assert.deepEqual(again.json.hosts[0].steps[0].changes, [], "nothing left to change");
      },
    );

    await t.step("the stand-in publishes 8080 and 8443; only the listed host reaches 8443", async () => {
      const img = info.images.apache_exporter;
      await $`docker save ${img}`.pipe($`ssh -F ${info.sshConfig} ${HOST} docker load`).quiet();
      await onHost(
        info,
        HOST,
        "docker rm -f isa-test-web >/dev/null 2>&1; docker run -d --restart unless-stopped --name isa-test-web " +
          `-p 8080:9117 -p 8443:9117 ${img} --scrape_uri=http://127.0.0.1/ >/dev/null`,
      );
      await enforced(info);
    });

    await t.step(
      "during 20 back-to-back firewall-cmd --reload: a probe loop never sees a port open",
      async () => {
        const seen: number[] = [];
        let done = false;
        // httpStatus gives up after 4 s on a dropped SYN; several loops keep probing meanwhile.
        const loop = async () => {
          while (!done) {
            seen.push(
              await httpStatus(`http://${ADDR}:8080/metrics`),
              await httpStatus(`http://${ADDR}:8443/metrics`),
            );
          }
        };
        const loops = Array.from({ length: 8 }, loop);
        const r = await onHost(
          info,
          HOST,
          "for i in $(seq 20); do firewall-cmd --reload >/dev/null || exit 1; done; echo reloaded",
          300_000,
        );
        done = true;
        await Promise.all(loops);
        assert.equal(r.out, "reloaded");
        assert.ok(seen.length >= 16, `probes made: ${seen.length}`);
        assert.deepEqual(seen.filter((c) => c !== 0), [], "no answer on either port, ever");
        await tableLoaded(info);
        await enforced(info);
      },
    );

    await t.step("after systemctl restart firewalld", async () => {
      const r = await onHost(info, HOST, "systemctl restart firewalld && firewall-cmd --state");
      assert.equal(r.out, "running");
      await tableLoaded(info);
      await enforced(info);
    });

    await t.step("after systemctl restart docker", async () => {
      await onHost(info, HOST, "systemctl restart docker");
      await tableLoaded(info);
      await enforced(info);
    });

    // No `systemctl restart nftables` here: firewalld.service `Conflicts=nftables.service`, so on a
    // firewalld host starting nftables stops firewalld (and RHEL's stock nftables.conf flushes nothing).
    // Debian's nftables.conf does (`flush ruleset`): tests/lab/nft_table_test.ts restarts it there.

    await t.step("after a reboot", async () => {
      await rebootHost(info, HOST);
      const st = await onHost(info, HOST, `systemctl is-active firewalld docker ${UNIT_NAME}`);
      assert.equal(st.out, "active\nactive\nactive");
      await tableLoaded(info);
      await enforced(info);
    });

    await t.step("afterwards the firewall step has nothing to do", async () => {
      const r = await cli("03_firewall.ts", ["--inventory", prod, "--limit", HOST, "--json"]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(r.json.hosts[0].steps[0].changes, []);
    });

    await t.step("uninstall deletes the table and the unit", async () => {
      const u = await cli("uninstall.ts", ["--inventory", prod, "--limit", HOST]);
      assert.equal(u.code, 0, u.stdout + u.stderr);
      const r = await onHost(
        info,
        HOST,
        `nft list table inet ${TABLE} >/dev/null 2>&1 && echo table; systemctl cat ${UNIT_NAME} >/dev/null 2>&1 && echo unit; echo end`,
      );
      assert.equal(r.out, "end");
    });
  } finally {
    await onHost(info, HOST, "docker rm -f isa-test-web >/dev/null 2>&1");
    // Back to the lab's quality settings (8080 open), as the other tests expect; the uninstall step
    // above removed our network, which the docker step makes again.
    for (const f of ["02_docker.ts", "03_firewall.ts"]) {
      await cli(f, ["--inventory", info.inventory, "--limit", HOST]);
    }
    await Deno.remove(prod).catch(() => {});
  }
});
