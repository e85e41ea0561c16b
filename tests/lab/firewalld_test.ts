/**
 * Issue 13, item 5: on the RHEL-shaped host (firewalld 1.3, nftables backend, which deletes every iptables
 * chain on reload and restart) with production settings, 8080 stays closed and 8443 open from this
 * machine after `firewall-cmd --reload` and after `systemctl restart firewalld`.
 *
 * Runs the Docker and firewall steps only (as deploy runs them) and a stand-in container that publishes
 * both ports: what is under test is the firewall, and the Apache step on an RHEL host is another item's.
 */
import assert from "node:assert/strict";
import $ from "dax";
import { cli, httpStatus, lab, labVariant, onHost, rebootHost, resetHost } from "../helpers/lab.ts";
import { UNIT_NAME, WATCH_UNIT_NAME } from "../../lib/base/names.ts";

const HOST = "isaqal10";
const ADDR = "127.0.10.10";

async function sleep(ms: number) {
  await new Promise((r) => setTimeout(r, ms));
}

/** What the controller sees of both ports: measured at least once, then polled up to `ms` until as wanted. */
async function ports(want: { dashboard: number; https: number }, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const seen = {
      dashboard: await httpStatus(`http://${ADDR}:8080/metrics`),
      https: await httpStatus(`http://${ADDR}:8443/metrics`),
    };
    if ((seen.dashboard === want.dashboard && seen.https === want.https) || Date.now() >= deadline) {
      return seen;
    }
    await sleep(500);
  }
}

Deno.test("firewalld reload and restart keep production's 8080 closed and 8443 open (RHEL-shaped host)", async (t) => {
  // A fresh host: an earlier test may have left our stack (Prometheus on 8443) deployed there.
  const info = await resetHost(await lab(), HOST);
  assert.equal(info.hosts.find((h) => h.name === HOST)?.flavour, "rhel");
  assert.equal((await onHost(info, HOST, "firewall-cmd --state")).out, "running");
  const prod = await labVariant(
    info,
    "prod-firewalld",
    (t) => t.replace("deployment: qual", "deployment: prod").replace("dashboard: true", "dashboard: false"),
  );
  const unitStarts = async () =>
    (await onHost(info, HOST, `systemctl show ${UNIT_NAME} -p ExecMainStartTimestampMonotonic --value`)).out;
  try {
    await t.step("Docker and firewall steps with production settings", async () => {
      for (const f of ["02_docker.ts", "03_firewall.ts"]) {
        const r = await cli(f, ["--inventory", prod, "--limit", HOST]);
        assert.equal(r.code, 0, `${f}: ${r.stdout}${r.stderr}`);
      }
      const st = await onHost(info, HOST, `systemctl is-active ${WATCH_UNIT_NAME} ${UNIT_NAME}`);
      assert.equal(st.out, "active\nactive", "the watcher runs next to firewalld");
      const img = info.images.apache_exporter;
      await $`docker save ${img}`.pipe($`ssh -F ${info.sshConfig} ${HOST} docker load`).quiet();
      await onHost(
        info,
        HOST,
        "docker rm -f isa-test-web >/dev/null 2>&1; " +
          `docker run -d --name isa-test-web -p 8080:9117 -p 8443:9117 ${img} --scrape_uri=http://127.0.0.1/ >/dev/null`,
      );
      assert.deepEqual(await ports({ dashboard: 0, https: 200 }), { dashboard: 0, https: 200 });
    });

    await t.step(
      "after firewall-cmd --reload: 8080 closed, 8443 open; the watcher re-ran our unit",
      async () => {
        const before = await unitStarts();
        const r = await onHost(info, HOST, "firewall-cmd --reload");
        assert.equal(r.out, "success");
        assert.deepEqual(await ports({ dashboard: 0, https: 200 }), { dashboard: 0, https: 200 });
        // Give the watcher's second pass time, then look again: still closed.
        await sleep(3000);
        assert.deepEqual(await ports({ dashboard: 0, https: 200 }, 0), { dashboard: 0, https: 200 });
        assert.notEqual(await unitStarts(), before, `${UNIT_NAME} ran again after the reload`);
      },
    );

    await t.step("the problem is real: without the watcher, a reload opens 8080", async () => {
      await onHost(info, HOST, `systemctl stop ${WATCH_UNIT_NAME}`);
      try {
        assert.equal((await onHost(info, HOST, "firewall-cmd --reload")).out, "success");
        assert.deepEqual(await ports({ dashboard: 200, https: 200 }), { dashboard: 200, https: 200 });
        const chain = await onHost(info, HOST, "iptables -w -S ISA-MONITORING");
        assert.notEqual(chain.code, 0, `our chain is gone after the reload: ${chain.out}`);
      } finally {
        // The next run of the firewall step puts everything back, the watcher included.
        const r = await cli("03_firewall.ts", ["--inventory", prod, "--limit", HOST]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
      }
      assert.equal((await onHost(info, HOST, `systemctl is-active ${WATCH_UNIT_NAME}`)).out, "active");
      assert.deepEqual(await ports({ dashboard: 0, https: 200 }), { dashboard: 0, https: 200 });
    });

    await t.step("after systemctl restart firewalld: 8080 closed, 8443 open", async () => {
      const before = await unitStarts();
      const r = await onHost(info, HOST, "systemctl restart firewalld && firewall-cmd --state");
      assert.equal(r.out, "running");
      assert.deepEqual(await ports({ dashboard: 0, https: 200 }), { dashboard: 0, https: 200 });
      await sleep(3000);
      assert.deepEqual(await ports({ dashboard: 0, https: 200 }, 0), { dashboard: 0, https: 200 });
      assert.notEqual(await unitStarts(), before, `${UNIT_NAME} ran again after the restart`);
      assert.equal((await onHost(info, HOST, `systemctl is-active ${WATCH_UNIT_NAME}`)).out, "active");
    });

    await t.step(
      "after a reboot (firewalld, then Docker, then our unit): 8080 closed, 8443 open",
      async () => {
        await rebootHost(info, HOST);
        const st = await onHost(
          info,
          HOST,
          `systemctl is-active firewalld docker ${UNIT_NAME} ${WATCH_UNIT_NAME}`,
        );
        assert.equal(st.out, "active\nactive\nactive\nactive");
        await onHost(info, HOST, "docker start isa-test-web >/dev/null 2>&1 || true");
        assert.deepEqual(await ports({ dashboard: 0, https: 200 }), { dashboard: 0, https: 200 });
        await sleep(3000);
        assert.deepEqual(await ports({ dashboard: 0, https: 200 }, 0), { dashboard: 0, https: 200 });
      },
    );

    await t.step("afterwards the firewall step has nothing to do", async () => {
      const r = await cli("03_firewall.ts", ["--inventory", prod, "--limit", HOST, "--json"]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(
        r.json.hosts[0].steps.map((s: { step: string; status: string }) => `${s.step}:${s.status}`),
        [
          "firewall:ok",
        ],
      );
    });
  } finally {
    await onHost(info, HOST, "docker rm -f isa-test-web >/dev/null 2>&1");
    // Back to the lab's quality settings (8080 open), as the other tests expect.
    await cli("03_firewall.ts", ["--inventory", info.inventory, "--limit", HOST]);
    await Deno.remove(prod).catch(() => {});
  }
});
