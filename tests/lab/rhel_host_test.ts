/**
 * The RHEL-shaped lab host (isaqal10, files/lab/host-rhel/) behaves, where the deploy looks, as RHEL 9
 * does: os-release, Apache's layout and service, the apachectl wrapper's refusals, rpm, firewalld, Docker.
 */
import assert from "node:assert/strict";
import $ from "dax";
import type { LabInfo } from "../../lib/lab/mod.ts";
import { httpStatus, lab } from "../helpers/lab.ts";
import { until } from "../helpers/until.ts";

const HOST = "isaqal10";
const ADDR = "127.0.10.10";

/** Runs a command on the host as root; exit code, stdout and stderr apart (trimmed). */
async function run(info: LabInfo, command: string) {
  const r = await $`ssh -F ${info.sshConfig} -o BatchMode=yes ${HOST} ${command}`
    .stdout("piped").stderr("piped").noThrow();
  return { code: r.code, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

Deno.test("the RHEL-shaped lab host behaves as RHEL 9 where the deploy looks", async (t) => {
  const info = await lab();
  assert.equal(info.hosts.find((h) => h.name === HOST)?.flavour, "rhel");

  await t.step("/etc/os-release is RHEL 9's", async () => {
    const r = await run(info, ". /etc/os-release; echo $ID $VERSION_ID $PLATFORM_ID");
    assert.equal(r.stdout, "rhel 9.6 platform:el9");
  });

  await t.step("apachectl refuses what RHEL 9's wrapper refuses, with its words and exit codes", async () => {
    const two = await run(info, "apachectl -t -D DUMP_MODULES");
    assert.equal(two.code, 1);
    assert.equal(
      two.stdout,
      "Passing arguments to httpd using apachectl is no longer supported.\n" +
        "You can only start/stop/restart httpd using this script.\n" +
        "To pass extra arguments to httpd, see the httpd.service(8)\nman page.",
    );
    const one = await run(info, "apachectl -S");
    assert.equal(one.code, 2);
    assert.equal(one.stderr, 'apachectl: The "-S" option is not supported.');
    assert.equal((await run(info, "apachectl -M")).code, 2);
    assert.equal((await run(info, "apachectl")).code, 2, "no argument is not supported either");
    const t1 = await run(info, "apachectl configtest");
    assert.equal(t1.code, 0, t1.stderr);
    assert.match(t1.stderr, /Syntax OK/);
    const v = await run(info, "apachectl -V");
    assert.equal(v.code, 0);
    assert.match(v.stdout, /-D HTTPD_ROOT="\/etc\/httpd"/);
    assert.match(v.stdout, /-D SERVER_CONFIG_FILE="conf\/httpd\.conf"/);
  });

  await t.step("httpd itself answers the dumps: mod_status loaded, the files Apache reads", async () => {
    const m = await run(info, "/usr/sbin/httpd -t -D DUMP_MODULES");
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /^Loaded Modules:$/m);
    assert.match(m.stdout, /^ status_module \(shared\)$/m);
    assert.doesNotMatch(m.stdout, /Syntax OK/);
    const i = await run(info, "/usr/sbin/httpd -t -D DUMP_INCLUDES");
    assert.equal(i.code, 0, i.stderr);
    assert.match(i.stdout, /^Included configuration files:$/m);
    assert.match(i.stdout, /^ {2}\(\*\) \/etc\/httpd\/conf\/httpd\.conf$/m);
    assert.match(i.stdout, /^ {4}\(\d+\) \/etc\/httpd\/conf\.modules\.d\/00-base\.conf$/m);
    // What the probe runs (one parse for both dumps; -v reads no configuration): the same files and modules.
    const both = await run(info, "/usr/sbin/httpd -t -D DUMP_INCLUDES -D DUMP_MODULES");
    assert.equal(both.code, 0, both.stderr);
    assert.equal(
      both.stdout,
      `${i.stdout}\n${m.stdout}`,
      "the includes, then the modules, in one run",
    );
    const v = await run(info, "/usr/sbin/httpd -v");
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^Server version: Apache\/2\.4\.\d+/);
    const layout = await run(
      info,
      "ls -d /etc/httpd/conf.d /etc/httpd/conf.modules.d; readlink /etc/httpd/logs; " +
        "test ! -e /etc/apache2 && test ! -e /usr/sbin/apache2 && test ! -e /usr/sbin/apache2ctl && echo no-debian-apache",
    );
    assert.equal(
      layout.stdout,
      "/etc/httpd/conf.d\n/etc/httpd/conf.modules.d\n../../var/log/httpd\nno-debian-apache",
    );
  });

  await t.step("service httpd: active, reload is a graceful restart (same main process)", async () => {
    const before = await run(info, "systemctl is-active httpd; systemctl show httpd -p MainPID --value");
    const [state, pid] = before.stdout.split("\n");
    assert.equal(state, "active");
    const procs = await run(info, "pgrep -x httpd");
    assert.ok(procs.stdout.split("\n").includes(pid), `the main process is called httpd: ${procs.stdout}`);
    const children = async () => (await run(info, `pgrep -P ${pid}`)).stdout.split("\n").filter(Boolean);
    const old = await children();
    assert.ok(old.length > 0, "the main process has its workers");
    const reload = await run(info, "systemctl reload httpd");
    assert.equal(reload.code, 0, reload.stderr);
    // `httpd -k graceful` only signals the main process: the restart is done once it has started a
    // new generation of workers (an idle server starts none otherwise).
    const fresh = await until("new httpd workers after the graceful restart", 20_000, async () => {
      const now = await children();
      return now.some((c) => !old.includes(c)) ? now : undefined;
    }, 200);
    const after = await run(info, "systemctl is-active httpd; systemctl show httpd -p MainPID --value");
    assert.deepEqual(after.stdout.split("\n"), ["active", pid], `workers ${old} → ${fresh}`);
    assert.notEqual(await httpStatus(`http://${ADDR}/`), 0, "port 80 answers through firewalld");
  });

  await t.step("rpm -q answers from its database, in rpm's words", async () => {
    const r = await run(info, "rpm -q httpd docker-ce podman");
    assert.equal(r.code, 1, "exit status = names not installed");
    const [httpd, docker, podman] = r.stdout.split("\n");
    assert.match(httpd, /^httpd-\d+\.\d+\.\d+-1\.el9\.x86_64$/);
    assert.match(docker, /^docker-ce-\d+\.\d+\.\d+-1\.el9\.x86_64$/);
    assert.equal(podman, "package podman is not installed");
    const none = await run(info, "rpm -q podman buildah runc");
    assert.equal(none.code, 3);
    assert.equal((await run(info, "rpm -q --quiet firewalld")).stdout, "");
  });

  await t.step("firewalld runs with the nftables backend; Docker is preinstalled and running", async () => {
    const r = await run(
      info,
      "firewall-cmd --state; sed -n 's/^FirewallBackend=//p' /etc/firewalld/firewalld.conf; " +
        "firewall-cmd --zone=public --list-services; systemctl is-active docker; id -nG isaops",
    );
    const [state, backend, services, docker, groups] = r.stdout.split("\n");
    assert.equal(state, "running");
    assert.equal(backend, "nftables");
    assert.deepEqual(services.split(" ").sort(), ["dhcpv6-client", "http", "https", "ssh"].sort());
    assert.equal(docker, "active");
    // As on a fresh production host: the Docker API goes through sudo, not the docker group.
    assert.ok(!groups.split(" ").includes("docker"), `isaops in no docker group: ${groups}`);
  });
});
