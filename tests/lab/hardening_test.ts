/**
 * Issue 14 on the lab: the SSH control folder, the host lock, production's 8080 rule, IPv4-only
 * publishing, the /server-status allow list, mode drift of secret files, security headers and
 * allowed_sources. Uses isaqal10 (isaqal09 too, as "another machine" for allowed_sources).
 */
import assert from "node:assert/strict";
import $ from "dax";
import { join } from "node:path";
import { HostLock } from "../../lib/transport/host_lock.ts";
import { loadInventory, projectRoot } from "../../lib/inventory/load.ts";
import { installPaths } from "../../lib/inventory/paths.ts";
import { NETWORK, networkAddress } from "../../lib/lab/layout.ts";
import { Ssh } from "../../lib/transport/ssh.ts";
import { cli, lab, labVariant, onHost } from "../helpers/lab.ts";
import { until } from "../helpers/until.ts";

const HOST = "isaqal10";
/** Apache's access log on the RHEL-shaped host (httpd) or a Debian host, whichever exists. */
const ACCESS_LOGS = "/var/log/httpd/access_log /var/log/apache2/access.log 2>/dev/null";
const OTHER = "isaqal09";
const ADDR = "127.0.10.10";

// $0 the checkout, $1 the helper, $2 $3 its arguments. The holding folder is made outside /tmp, in root's
// /run, and gone again before the helper starts.
const PRIVATE_TMP = `set -e
hold=$(mktemp -d /run/isa-hold.XXXXXX)
mount --bind "$0" "$hold"
mount -t tmpfs tmpfs /tmp
case "$0" in /tmp/*) mkdir -p "$0"; mount --bind "$hold" "$0" ;; esac
umount "$hold"; rmdir "$hold"
cd "$0"
exec deno run -A "$1" "$2" "$3"`;

async function hostOf(inventory: string, name = HOST) {
  return (await loadInventory(inventory)).hosts.find((h) => h.name === name)!;
}

/**
 * Waits until a background process holds the flock on `file` on the host: root then can't take it
 * without blocking. The file is opened read-only, without O_CREAT (fs.protected_regular forbids root
 * that on another user's file in the sticky /run/lock), and flock -n exits 75 on the conflict.
 */
async function heldByAnother(info: Awaited<ReturnType<typeof lab>>, file: string): Promise<void> {
  await until(`the background holder's lock on ${file}`, 15_000, async () => {
    const r = await onHost(info, HOST, `{ flock -n -E 75 9 9<${file}; } 2>/dev/null; echo $?`);
    return r.out === "75" ? true : undefined;
  }, 100);
}

/** Shell: runs `test` until it succeeds, at most `tries` times 0.1 s apart, then goes on either way. */
function retry(test: string, tries = 100): string {
  return `i=0; until ${test}; do i=$((i+1)); [ $i -lt ${tries} ] || break; sleep 0.1; done`;
}

Deno.test("a world-writable /tmp/isa-ssh-<uid> holding a listening fake master is never used", async () => {
  const info = await lab();
  // A private mount namespace with an empty /tmp: the planted folder exists only for the child, so
  // no other run on this shared machine can stumble on it. A checkout (and its lab) under /tmp would
  // vanish with it: it is bound aside first, then back at its own path inside the new /tmp.
  const helper = join(projectRoot, "tests", "helpers", "fake_master.ts");
  const r = await $`unshare -m sh -c ${PRIVATE_TMP} ${projectRoot} ${helper} ${info.inventory} ${HOST}`
    .stdout("piped").stderr("piped").noThrow();
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  assert.equal(out.error, "", "the tool reached the host");
  assert.equal(out.hostname, HOST, "the real host answered, not the fake master");
  assert.equal(out.connections, 0, "nothing connected to the planted socket");
  assert.deepEqual(
    out.plantedEntries,
    [out.socket.split("/").pop()],
    "nothing of ours in the planted folder",
  );
  assert.doesNotMatch(out.controlDir, /^\/tmp\//);
  const st = await Deno.lstat(out.controlDir);
  assert.ok(st.isDirectory && !st.isSymlink && (st.mode! & 0o777) === 0o700 && st.uid === Deno.uid());
});

Deno.test("host lock: an unprivileged user can't hold it, planted links are refused, the holder line is clean", async (t) => {
  const info = await lab();
  const ssh = new Ssh(await hostOf(info.inventory));
  await ssh.open();
  try {
    await onHost(
      info,
      HOST,
      "rm -rf /run/isa-monitoring /root/isa-elsewhere /etc/isa-victim /etc/isa-victim2 " +
        "/run/lock/isa-monitoring.lock /run/lock/isa-monitoring.lock.owner",
    );

    await t.step("the old lock held by nobody, with a planted .owner symlink, blocks nothing", async () => {
      // /run/lock is world-writable (1777): any user could take the old lock and plant links in it.
      const bg = await onHost(
        info,
        HOST,
        "setpriv --reuid=65534 --regid=65534 --clear-groups sh -c " +
          "'ln -sf /etc/isa-victim /run/lock/isa-monitoring.lock.owner; exec flock /run/lock/isa-monitoring.lock sleep 120' " +
          ">/dev/null 2>&1 </dev/null & echo $!",
      );
      const pid = bg.out.trim();
      assert.match(pid, /^\d+$/);
      try {
        // Nobody holds the old lock (the link planted before it): what follows proves something only then.
        await heldByAnother(info, "/run/lock/isa-monitoring.lock");
        assert.equal(
          (await onHost(
            info,
            HOST,
            "stat -c '%U' /run/lock/isa-monitoring.lock; readlink /run/lock/isa-monitoring.lock.owner",
          )).out,
          "nobody\n/etc/isa-victim",
          "the old lock is nobody's, its .owner a link to /etc/isa-victim",
        );
        const denied = await onHost(
          info,
          HOST,
          "setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'mkdir -p /run/isa-monitoring; exec 9>>/run/isa-monitoring/lock' 2>&1; echo rc=$?",
        );
        assert.match(denied.out, /Permission denied/, "nobody can't create or open the new lock");
        const lock = await HostLock.acquire(ssh, "hardening test");
        await lock.release();
        assert.equal(
          (await onHost(info, HOST, "test -e /etc/isa-victim && echo present || echo absent")).out,
          "absent",
          "the link was not followed",
        );
      } finally {
        await onHost(
          info,
          HOST,
          `kill ${pid}; rm -f /run/lock/isa-monitoring.lock.owner /run/lock/isa-monitoring.lock`,
        );
      }
    });

    await t.step(
      "a symlink as the folder or the lock file, or a loose folder, is refused, not followed",
      async () => {
        await onHost(
          info,
          HOST,
          "rm -rf /run/isa-monitoring && mkdir -m 700 /root/isa-elsewhere && ln -s /root/isa-elsewhere /run/isa-monitoring",
        );
        await assert.rejects(HostLock.acquire(ssh, "t"), /host lock refused: .*not a root-owned folder/);
        assert.equal(
          (await onHost(info, HOST, "test -e /root/isa-elsewhere/lock && echo present || echo absent")).out,
          "absent",
        );
        await onHost(info, HOST, "rm -f /run/isa-monitoring && mkdir -m 700 /run/isa-monitoring");
        await onHost(info, HOST, "ln -s /etc/isa-victim2 /run/isa-monitoring/lock");
        await assert.rejects(HostLock.acquire(ssh, "t"), /host lock refused: .*not a regular file/);
        assert.equal(
          (await onHost(info, HOST, "test -e /etc/isa-victim2 && echo present || echo absent")).out,
          "absent",
        );
        await onHost(info, HOST, "rm -f /run/isa-monitoring/lock && chmod 755 /run/isa-monitoring");
        await assert.rejects(HostLock.acquire(ssh, "t"), /not a root-owned folder of mode 0700/);
        await onHost(info, HOST, "rm -rf /run/isa-monitoring /root/isa-elsewhere");
      },
    );

    await t.step(
      "the holder's line is in the locked file; a hostile one is shown without escapes",
      async () => {
        const a = await HostLock.acquire(ssh, "alice@ctl pid 1");
        try {
          const f = await onHost(
            info,
            HOST,
            "stat -c '%a %U' /run/isa-monitoring; cat /run/isa-monitoring/lock",
          );
          assert.equal(f.out, "700 root\nalice@ctl pid 1");
          assert.equal(
            (await onHost(
              info,
              HOST,
              "{ test -e /run/isa-monitoring/lock.owner || test -L /run/isa-monitoring/lock.owner; } && echo present || echo absent",
            )).out,
            "absent",
          );
          await assert.rejects(
            HostLock.acquire(ssh, "bob"),
            /another run holds this host's lock \(alice@ctl pid 1\)/,
          );
        } finally {
          await a.release();
        }
        const bg = await onHost(
          info,
          HOST,
          `sh -c "printf 'evil\\033]0;owned\\007\\033[2J\\n' > /run/isa-monitoring/lock; exec flock -o /run/isa-monitoring/lock sleep 60" >/dev/null 2>&1 </dev/null & echo $!`,
        );
        try {
          await heldByAnother(info, "/run/isa-monitoring/lock");
          const e = await HostLock.acquire(ssh, "bob").then(() => null, (e: Error) => e);
          assert.ok(e, "busy");
          assert.match(e.message, /another run holds this host's lock \(evil\]0;owned\[2J\)/);
          // deno-lint-ignore no-control-regex
          assert.doesNotMatch(e.message, /[\x00-\x1f\x7f-\x9f]/);
        } finally {
          // flock -o: only flock holds the lock (not its sleep), so killing it releases the lock at once.
          await onHost(info, HOST, `kill ${bg.out.trim()}`);
        }
      },
    );
  } finally {
    await ssh.close();
  }
});

/** HTTP status of an unauthenticated GET over HTTPS from this machine (0: no answer); a new connection each time. */
async function code(url: string): Promise<number> {
  const r = await $`curl -s -k -m 4 -o /dev/null -w ${"%{http_code}"} ${url}`.noThrow().stdout("piped");
  return Number(r.stdout) || 0;
}

/** Whether an IPv4 address lies in a CIDR. */
function inCidr(ip: string, cidr: string): boolean {
  const n = (a: string) => a.split(".").reduce((x, o) => x * 256 + Number(o), 0);
  const [base, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / size) === Math.floor(n(base) / size);
}

/** The HTTPS endpoint's answer to an unauthenticated GET from this machine: status line and headers. */
async function headersFrom(url: string): Promise<string> {
  return (await $`curl -s -k -m 5 -o /dev/null -D - ${url}`.noThrow().stdout("piped")).stdout;
}

Deno.test("deployed host: status page for localhost and our subnet only, IPv4-only ports, headers, mode drift, firewall", async (t) => {
  const info = await lab();
  const inv = info.inventory;
  const host = await hostOf(inv);
  const p = installPaths(host.vars);
  const deploy = await cli("deploy.ts", ["--inventory", inv, "--limit", HOST]);
  assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
  const exporterImg = info.images.apache_exporter;

  await t.step("/server-status allows exactly localhost and our network's subnet", async () => {
    const conf = await onHost(
      info,
      HOST,
      // Our file where the RHEL-shaped host (httpd) or a Debian host keeps it.
      "cat /etc/httpd/conf.d/EPFL_isa.conf /etc/apache2/conf-available/EPFL_isa.conf 2>/dev/null | " +
        "grep -E '^\\s*(Require|Allow)'",
    );
    const subnet = (await onHost(
      info,
      HOST,
      `docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' ${host.vars.docker_network}`,
    )).out;
    assert.match(subnet, /^\d+\.\d+\.\d+\.\d+\/\d+$/);
    assert.deepEqual(conf.out.split("\n").map((l) => l.trim()), ["Require local", `Require ip ${subnet}`]);
    // A container on another Docker network (the default bridge) asks for the page: 403.
    // Its exporter asks Apache once per /metrics request: ask until it listens, then wait for Apache's
    // access log line of that request (written once the answer is sent).
    const other = await onHost(
      info,
      HOST,
      `docker rm -f isa-test-other >/dev/null 2>&1; docker run -d --name isa-test-other --network bridge ${exporterImg} ` +
        `--scrape_uri=http://172.17.0.1/server-status?auto >/dev/null && ` +
        `ip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' isa-test-other) && ` +
        `${retry("curl -s -m 5 -o /dev/null http://$ip:9117/metrics")}; ` +
        `${retry(`cat ${ACCESS_LOGS} | grep -q "^$ip .*GET /server-status"`)}; echo $ip; ` +
        `cat ${ACCESS_LOGS} | grep "^$ip .*GET /server-status" | tail -n 1; docker rm -f isa-test-other >/dev/null`,
    );
    const [ip, line] = other.out.split("\n");
    assert.match(ip, /^172\.17\./);
    assert.match(line ?? "", /" 403 /, `another network's container is refused: ${other.out}`);
    // Our exporter, on our network, gets the page: ask it for its metrics (it scrapes Apache then) rather
    // than wait for Prometheus, and wait until Apache has logged one more 200 for its address.
    const ok200 = `cat ${ACCESS_LOGS} | grep "^$ip "'.*GET /server-status.*" 200 '`;
    const ours = await onHost(
      info,
      HOST,
      `ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' apache_exporter) && ` +
        `echo $ip && n=$(${ok200} | wc -l) && ` +
        `${retry("curl -s -m 5 -o /dev/null http://$ip:9117/metrics")}; ` +
        `${retry(`[ "$(${ok200} | wc -l)" -gt "$n" ]`)}; ${ok200} | tail -n 1`,
    );
    const [ourIp, ourLine] = ours.out.split("\n");
    assert.ok(inCidr(ourIp, subnet), `our exporter is in our subnet: ${ours.out}`);
    assert.ok(ourLine?.startsWith(`${ourIp} `), `a new 200 for our exporter's request: ${ours.out}`);
  });

  await t.step("our ports are published on IPv4 only: nothing listens on [::]", async () => {
    const ss = await onHost(
      info,
      HOST,
      `ss -Hltn '( sport = :${host.vars.ports.https} or sport = :${host.vars.ports.dashboard} )'`,
    );
    assert.match(ss.out, new RegExp(`0\\.0\\.0\\.0:${host.vars.ports.https}\\b`));
    assert.doesNotMatch(ss.out, /\[::\]|\*:/, ss.out);
    const v6 = await onHost(info, HOST, "ip -6 addr show dev lo | grep -c '::1/128' || true");
    if (v6.out.trim() === "1") {
      const c = await onHost(
        info,
        HOST,
        `curl -g -s -k -m 3 -o /dev/null -w '%{http_code}' https://[::1]:${host.vars.ports.https}/`,
      );
      assert.equal(c.out, "000", "no answer over IPv6 loopback");
    } else {
      console.log("IPv6 loopback absent on the lab host: checked the listeners only");
    }
  });

  await t.step("HSTS, nosniff and frame deny on the HTTPS endpoint, the 401 included", async () => {
    const h = await headersFrom(`https://${ADDR}:${host.vars.ports.https}/`);
    assert.match(h, /^HTTP\/\S+ 401/);
    assert.match(h, /^strict-transport-security: max-age=31536000\r?$/im);
    assert.match(h, /^x-content-type-options: nosniff\r?$/im);
    assert.match(h, /^x-frame-options: deny\r?$/im);
  });

  await t.step("chmod 644 of web.yml is repaired to 0600, and a second run is a no-op", async () => {
    await onHost(info, HOST, `chmod 644 ${p.webYml} ${p.selfScrapePassword}`);
    const id = (await onHost(info, HOST, "docker inspect -f '{{.Id}}' prometheus")).out;
    const r = await cli("06_prometheus.ts", ["--inventory", inv, "--limit", HOST, "--json"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const changes = r.json.hosts[0].steps.flatMap((s: { changes: { summary: string }[] }) => s.changes)
      .map((c: { summary: string }) => c.summary);
    assert.deepEqual(changes.sort(), [
      `restore ${p.selfScrapePassword} (mode 0644 → 0600)`,
      `restore ${p.webYml} (mode 0644 → 0600)`,
    ]);
    assert.equal(
      (await onHost(info, HOST, `stat -c %a ${p.webYml} ${p.selfScrapePassword}`)).out,
      "600\n600",
    );
    assert.equal(
      (await onHost(info, HOST, "docker inspect -f '{{.Id}}' prometheus")).out,
      id,
      "not recreated",
    );
    const again = await cli("06_prometheus.ts", ["--inventory", inv, "--limit", HOST, "--json"]);
    assert.equal(again.code, 0);
    // `deno task prometheus` runs the account step first (the user Prometheus runs as).
    assert.deepEqual(again.json.hosts[0].steps.map((s: { status: string }) => s.status), ["ok", "ok"]);
  });

  await t.step(
    "production: 8080 closed from this machine, a container on the host still connects out to :8080",
    async () => {
      // Production's firewall semantics come from `dashboard: false` (what deployment: prod requires).
      const prod = await labVariant(
        info,
        "h14-prod",
        (text) => text.replace("dashboard: true", "dashboard: false"),
      );
      // A :8080 service outside the host: this machine, on the lab network's gateway.
      let hits = 0;
      const server = Deno.serve({ hostname: NETWORK.gateway, port: 8080, onListen: () => {} }, () => {
        hits++;
        return new Response("ok\n");
      });
      try {
        assert.notEqual(await code(`https://${ADDR}:8080/`), 0, "qual: 8080 answers");
        const f = await cli("03_firewall.ts", ["--inventory", prod, "--limit", HOST]);
        assert.equal(f.code, 0, f.stdout + f.stderr);
        assert.equal(await code(`https://${ADDR}:8080/`), 0, "prod: 8080 closed from this machine");
        assert.notEqual(await code(`https://${ADDR}:8443/`), 0, "prod: 8443 open");
        // The exporter image connects to its scrape URI on each /metrics request: an outbound :8080.
        const out = await onHost(
          info,
          HOST,
          `docker rm -f isa-test-out >/dev/null 2>&1; docker run -d --name isa-test-out --network ${host.vars.docker_network} ` +
            `${exporterImg} --scrape_uri=http://${NETWORK.gateway}:8080/server-status?auto >/dev/null && ` +
            `ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' isa-test-out) && ` +
            // Asked until it listens; each /metrics request makes it connect out to its scrape URI.
            `${retry("m=$(curl -s -m 8 http://$ip:9117/metrics)")}; ` +
            `printf '%s\\n' "$m" | grep '^apache_up'; docker rm -f isa-test-out >/dev/null`,
        );
        assert.ok(hits > 0, `the container's request to ${NETWORK.gateway}:8080 arrived (${out.out})`);
      } finally {
        await server.shutdown();
        const q = await cli("03_firewall.ts", ["--inventory", inv, "--limit", HOST]);
        assert.equal(q.code, 0, q.stdout + q.stderr);
        await Deno.remove(prod).catch(() => {});
      }
    },
  );

  await t.step("allowed_sources: 8443 answers listed sources only", async () => {
    const from = (list: string) =>
      labVariant(
        info,
        "h14-sources",
        (text) => text.replace("vars:\n", `vars:\n  allowed_sources: [${list}]\n`),
      );
    // This machine's connections reach the host through the lab engine's proxy, from the gateway;
    // the other lab host connects from its own address.
    const fromOther = async () =>
      (await onHost(
        info,
        OTHER,
        `curl -s -k -m 3 -o /dev/null -w '%{http_code}' https://${
          networkAddress(HOST)
        }:${host.vars.ports.https}/`,
      )).out;
    try {
      let f = await cli("03_firewall.ts", [
        "--inventory",
        await from(`${NETWORK.gateway}/32`),
        "--limit",
        HOST,
      ]);
      assert.equal(f.code, 0, f.stdout + f.stderr);
      assert.equal(await code(`https://${ADDR}:8443/`), 401, "this machine is listed");
      assert.equal(await fromOther(), "000", `${OTHER} is not: dropped`);
      f = await cli("03_firewall.ts", [
        "--inventory",
        await from(`${networkAddress(OTHER)}/32`),
        "--limit",
        HOST,
      ]);
      assert.equal(f.code, 0, f.stdout + f.stderr);
      assert.equal(await code(`https://${ADDR}:8443/`), 0, "this machine is no longer listed: dropped");
      assert.equal(await fromOther(), "401", `${OTHER} is listed`);
      assert.notEqual(await code(`https://${ADDR}:8080/`), 0, "the dashboard port is not restricted");
    } finally {
      const q = await cli("03_firewall.ts", ["--inventory", inv, "--limit", HOST]);
      assert.equal(q.code, 0, q.stdout + q.stderr);
      await Deno.remove(join(info.dir, "variant-h14-sources.yml")).catch(() => {});
    }
  });
});
