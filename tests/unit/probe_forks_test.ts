/**
 * Issue 25 item 3: the batched probe's cost on a host is mostly the processes it starts. The deploy's
 * own probe runs here with /bin/sh on a fake light host (Apache, no Docker, never deployed): every
 * command it may start is a recorder on a PATH of its own, so the test counts what a host would exec
 * and checks that what the probe learns from Apache's files is unchanged.
 */
import assert from "node:assert/strict";
import $ from "dax";
import { mergeNeeds } from "../../lib/facts/needs.ts";
import { deploySteps } from "../../lib/steps/mod.ts";
import { hostProbeScript, parseHostProbe } from "../../lib/facts/gather.ts";
import type { Ssh } from "../../lib/transport/ssh.ts";
import { qualHost } from "../helpers/fake_host.ts";
import { PROBE_FUNCTIONS, sections } from "../../lib/base/probe_sections.ts";
import { parseProbe, probeScript } from "../../lib/steps/firewall_probe.ts";

/** Commands a light Debian host has that the probe may call: each logs its name, then runs the real one. */
const REAL = [
  "cat",
  "id",
  "uname",
  "xargs",
  "printf",
  "sed",
  "tail",
  "head",
  "stat",
  "date",
  "dirname",
  "tr",
  "grep",
  "sort",
  "cksum",
  "mv",
  "rm",
  "ip",
  "df",
  "awk",
  "base64",
  "getent",
];

/** A fake light host: recorders in bin/, Apache's files under etc/ (a status block, ExtendedStatus). */
async function lightHost(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "isa-probe-forks-" });
  await Deno.mkdir(`${dir}/bin`);
  await Deno.mkdir(`${dir}/etc/mods-enabled`, { recursive: true });
  await Deno.writeTextFile(`${dir}/etc/apache2.conf`, "ServerRoot x\nIncludeOptional mods-enabled/*.conf\n");
  await Deno.writeTextFile(
    `${dir}/etc/mods-enabled/status.conf`,
    "<IfModule mod_status.c>\n  <Location /server-status>\n  </Location>\n  extendedstatus on\n</IfModule>\n",
  );
  const log = `echo "\${0##*/}" >> ${dir}/log`;
  const write = async (name: string, body: string) => {
    await Deno.writeTextFile(`${dir}/bin/${name}`, `#!/bin/sh\n${log}\n${body}\n`);
    await Deno.chmod(`${dir}/bin/${name}`, 0o755);
  };
  for (const name of REAL) {
    const real = [`/usr/bin/${name}`, `/bin/${name}`].find((p) => {
      try {
        return Deno.statSync(p).isFile;
      } catch {
        return false;
      }
    });
    assert.ok(real, `${name} is installed here`);
    await write(name, `exec ${real} "$@"`);
  }
  // The three units' states in order (firewalld httpd apache2), no Environment, our unit unknown.
  await write(
    "systemctl",
    `case "$1" in is-active) printf 'inactive\\ninactive\\nactive\\n'; exit 3 ;; show) echo ;; *) exit 1 ;; esac`,
  );
  await write("nft", "exit 1");
  await write("iptables", "exit 1");
  await write(
    "apache2",
    `printf 'Server version: Apache/2.4.62 (Debian)\\nServer built:   2024-10-04T15:21:08\\n'`,
  );
  await write(
    "apache2ctl",
    `printf 'Included configuration files:\\n  (*) ${dir}/etc/apache2.conf\\n    (2) ${dir}/etc/mods-enabled/status.conf\\n'
printf 'Loaded Modules:\\n core_module (static)\\n mpm_event_module (shared)\\n status_module (shared)\\n'`,
  );
  return dir;
}

/** The deploy's probe of the inventory's first host, pointed at the fake host's PATH and Apache binary. */
async function probeOf(dir: string): Promise<{ script: string; ssh: Ssh }> {
  const host = await qualHost();
  const needs = mergeNeeds(deploySteps.map((s) => s.needs?.(host) ?? {}));
  const ssh = { host } as Ssh;
  let script = hostProbeScript(ssh, needs);
  const path = /PATH=\/usr\/local\/sbin:[^\n]*/;
  assert.match(script, path);
  script = script.replace(path, `PATH=${dir}/bin`).replace(" /usr/sbin/apache2;", ` ${dir}/bin/apache2;`)
    .replace("-S /var/run/docker.sock", `-S ${dir}/docker.sock`) // no engine
    .replace("/sys/class/net/docker0", `${dir}/docker0`); // nor its bridge
  return { script, ssh };
}

Deno.test("the probe of a light host never deployed starts at most 12 processes, and learns Apache's files as before", async () => {
  const dir = await lightHost();
  try {
    const { script } = await probeOf(dir);
    const r = await $`/bin/sh -c ${script}`.env({ PATH: `${dir}/bin`, USER: "admin", SUDO_USER: "" })
      .noThrow().stdout("piped").stderr("piped");
    assert.doesNotMatch(r.stderr, /not found/, "every command the probe runs is one a light host has");

    const ran = (await Deno.readTextFile(`${dir}/log`)).trim().split("\n");
    // Before issue 25 item 3 this host's probe started 32 (printf|sed|tail pipelines, a grep per search).
    assert.ok(ran.length <= 12, `${ran.length} processes: ${ran.join(" ")}`);
    // What no light host needs: the package manager, Docker's bridge, a second parse of Apache.
    for (const never of ["ip", "dirname", "grep", "sed", "tail", "xargs", "date"]) {
      assert.ok(!ran.includes(never), `${never} was run: ${ran.join(" ")}`);
    }
    assert.equal(ran.filter((c) => c === "apache2ctl").length, 1);

    const { facts } = parseHostProbe(r.stdout, {});
    const a = facts.apache!;
    assert.equal(a.version, "2.4.62");
    assert.equal(a.configFile, `${dir}/etc/apache2.conf`);
    assert.equal(a.confDir, `${dir}/etc/conf-available`);
    assert.deepEqual(a.statusLocations, [
      `${dir}/etc/mods-enabled/status.conf:2:  <Location /server-status>`,
    ]);
    assert.equal(a.extendedStatus, true);
    assert.equal(a.running, true);
    assert.equal(a.mpm, "event");
    assert.equal(facts.loginUser, "admin", "sshd's USER, as `id -un` would say");
    assert.ok(Number.isFinite(facts.diskFreeMb), "df's free MiB under the install folder's nearest parent");
    assert.equal(facts.os.id.length > 0, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the firewall's objects are counted by the shell as grep -c '# handle' counted them: lines holding one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "isa-probe-nft-" });
  try {
    await Deno.writeTextFile(
      `${dir}/nft`,
      `#!/bin/sh\nprintf 'table inet isa_monitoring { # handle 3\\n\\tchain input { # handle 1\\n\\t\\ttcp dport 9 drop # handle 4\\n\\t}\\n}\\n'\n`,
    );
    await Deno.chmod(`${dir}/nft`, 0o755);
    const script = `${PROBE_FUNCTIONS}PATH=${dir}:$PATH\n${probeScript()}`;
    const r = await $`/bin/sh -c ${script}`.noThrow().stdout("piped");
    assert.equal(parseProbe(sections(r.stdout)).handles, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
