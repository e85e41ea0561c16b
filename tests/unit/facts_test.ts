import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { needsShared, SHARED } from "../helpers/shared.ts";
import { parseFacts } from "../../lib/facts/probe.ts";
import { dockerRepoBase } from "../../lib/steps/docker_install.ts";
import { installDocker } from "../../lib/commands/docker.ts";
import { changeApache } from "../../lib/commands/apache.ts";
import { qualHost } from "../helpers/fake_host.ts";
import { mpmOf, parseApacheVersion, parseModules } from "../../lib/facts/apache.ts";
import { parseDockerPackage } from "../../lib/facts/docker.ts";
import { parseOsRelease } from "../../lib/facts/os.ts";

const here = dirname(fileURLToPath(import.meta.url));
const shared = join(SHARED, "fixtures", "hosts");

for (const [name, version] of [["rhel8", "8.7"], ["rhel9", "9.6"]]) {
  Deno.test(`facts of a fresh ${name} host with httpd (what each probe command prints there)`, async () => {
    const facts = parseFacts(await Deno.readTextFile(join(here, "..", "fixtures", `${name}-fresh.probe`)));
    assert.equal(facts.os.family, "rhel");
    assert.equal(facts.os.id, "rhel");
    assert.equal(facts.os.versionId, version);
    assert.equal(facts.init, "systemd");
    assert.equal(facts.loginUser, "deploy");
    const a = facts.apache!;
    assert.equal(a.ctl, "/usr/sbin/httpd", "httpd itself, not the apachectl wrapper");
    assert.equal(a.service, "httpd");
    assert.equal(a.layout, "rhel");
    assert.equal(a.confFile, "/etc/httpd/conf.d/EPFL_isa.conf");
    assert.equal(a.configFile, "/etc/httpd/conf/httpd.conf");
    assert.equal(a.version, "2.4.37");
    assert.equal(a.mpm, "event");
    assert.equal(a.statusModule, true);
    assert.equal(a.authzCore, true);
    assert.equal(a.extendedStatus, true, "2.4 turns ExtendedStatus on with mod_status");
    assert.equal(a.running, true);
    assert.equal(a.configOk, true);
    assert.match(a.configMessage, /AH00558/, "the ServerName warning is kept as the config message");
    assert.equal(a.includes.length, 14);
    assert.equal(a.includes[0], "/etc/httpd/conf/httpd.conf");
    assert.ok(a.includes.includes("/etc/httpd/conf.d/welcome.conf"));
    assert.deepEqual(a.statusLocations, []);
    assert.equal(a.ourFile, null);
    assert.equal(facts.docker.installed, false);
    assert.equal(facts.docker.running, false);
    assert.equal(facts.docker.package, null);
    assert.deepEqual(facts.containerTools, []);
    assert.equal(facts.selinux.mode, "enforcing");
    assert.equal(facts.selinux.dockerLabels, false);
    assert.equal(facts.selinux.installDirLabel, null, "/srv/isa does not exist yet");
    assert.equal(facts.dockerFiles.repoFile, null);
    assert.equal(facts.diskFreeMb, 20480);
    assert.equal(facts.firewall.firewalld, true);
    assert.equal(facts.firewall.persistence, "none");
    const script = installDocker(facts.os, (await qualHost()).vars).script;
    assert.match(script, /^dnf_bounded -y install docker-ce docker-ce-cli containerd\.io$/m);
    assert.doesNotMatch(script, /config-manager|allowerasing|_proxy/);
  });
}

Deno.test(needsShared("os-release of every RHEL-family and Debian fixture maps to its family"), async () => {
  const expected: Record<string, string> = {
    "rhel-7.os-release": "rhel",
    "rhel-8.os-release": "rhel",
    "rhel-9.os-release": "rhel",
    "rocky-8.os-release": "rhel",
    "rocky-9.os-release": "rhel",
    "alma-9.os-release": "rhel",
    "centos-7.os-release": "rhel",
    "debian-12.os-release": "debian",
    "ubuntu-22.04.os-release": "debian",
  };
  for (const [file, family] of Object.entries(expected)) {
    const text = await Deno.readTextFile(join(shared, file));
    const facts = parseFacts(`@@os-release\n${text}\n@@end\n`);
    assert.equal(facts.os.family, family, file);
    assert.ok(facts.os.versionId.length > 0, `${file} has VERSION_ID`);
  }
  const os = parseOsRelease(await Deno.readTextFile(join(shared, "rocky-9.os-release")));
  assert.equal(os.ID, "rocky");
  const v = parseApacheVersion(
    (await Deno.readTextFile(join(shared, "centos-stream-8-httpd-V.txt"))).split("\n"),
  );
  assert.equal(v, "2.4.37");
  const m = parseModules(
    (await Deno.readTextFile(join(shared, "centos-stream-8-httpd-DUMP_MODULES.txt"))).split("\n"),
  );
  assert.ok(m.has("status_module") && m.has("mpm_event_module") && m.has("authz_core_module"));
  // -V's "Server MPM: event", from the module list the one call already prints.
  assert.equal(mpmOf(m), "event");
});

Deno.test("Debian host with Docker: gateway and networks", async () => {
  const facts = parseFacts(`@@os-release
ID=debian
VERSION_ID="12"
@@apache-binary
/usr/sbin/apache2
@@apache-v
Server version: Apache/2.4.62 (Debian)
@@apache-t
Loaded Modules:
 authz_core_module (shared)
@@apache-extendedstatus
ExtendedStatus Off
@@docker-info
{"ServerVersion":"20.10.24+dfsg1","SecurityOptions":["name=apparmor","name=seccomp,profile=default","name=cgroupns"]}
@@docker-installed
/usr/sbin/dockerd
@@docker-networks
[{"Name":"bridge","Driver":"bridge","IPAM":{"Driver":"default","Config":[{"Subnet":"172.17.0.0/16","Gateway":"172.17.0.1"}]}},{"Name":"isa-monitoring","Driver":"bridge","IPAM":{"Driver":"default","Config":[{"Subnet":"172.18.0.0/16","Gateway":"172.18.0.1"}]}}]
@@end
`);
  const a = facts.apache!;
  assert.equal(a.layout, "debian");
  assert.equal(a.confFile, "/etc/apache2/conf-available/EPFL_isa.conf");
  assert.equal(a.statusModule, false);
  assert.equal(a.extendedStatus, false);
  assert.equal(facts.docker.version, "20.10.24+dfsg1");
  assert.equal(facts.docker.running, true);
  assert.equal(facts.docker.bridgeGateway, "172.17.0.1");
  assert.deepEqual(facts.docker.networks, ["172.17.0.0/16", "172.18.0.0/16"]);
  assert.deepEqual(facts.docker.networkNames, ["bridge", "isa-monitoring"]);
  assert.equal(facts.selinux.mode, "absent");
  assert.equal(facts.selinux.dockerLabels, false);
  // Debian's docker.io, and its client where apt packs it apart (Debian 13: tests/unit/debian13_test.ts).
  assert.match(
    installDocker(facts.os, (await qualHost()).vars).script,
    /\npkgs=docker\.io; .*\napt-get .*install -y -qq --no-install-recommends \$pkgs$/,
  );
});

Deno.test("rpm -q and dpkg-query answers give the Docker package, or none", () => {
  assert.equal(
    parseDockerPackage(["package docker-ce is not installed", "package moby-engine is not installed"]),
    null,
  );
  // Real lines from an EL9 host: `rpm -qa | grep docker-ce` in Security-Onion-Solutions/securityonion
  // issue #13566 (https://github.com/Security-Onion-Solutions/securityonion/issues/13566, comment of
  // 2024-09-12). `rpm -q NAME` prints installed packages in the same %_query_all_fmt (NAME-VERSION-
  // RELEASE.ARCH), as the real EL9 `rpm -q vim-minimal` transcript in ../shared/ shows. The CLI and
  // rootless-extras packages are not the engine.
  const el9 = [
    "docker-ce-cli-27.2.0-1.el9.x86_64",
    "docker-ce-rootless-extras-27.2.0-1.el9.x86_64",
    "docker-ce-27.2.0-1.el9.x86_64",
  ];
  assert.equal(parseDockerPackage(el9), "docker-ce 27.2.0-1.el9.x86_64");
  assert.equal(parseDockerPackage(el9.slice(0, 2)), null, "the CLI without the engine is no Docker");
  assert.equal(
    parseDockerPackage(["docker.io 20.10.24+dfsg1-1+deb12u1"]),
    "docker.io 20.10.24+dfsg1-1+deb12u1",
  );
});

Deno.test("RHEL family: Docker's repository per distribution, conf.d, httpd -t, reload without a2enconf", async () => {
  const base = parseFacts(await Deno.readTextFile(join(here, "..", "fixtures", "rhel9-fresh.probe")));
  const vars = (await qualHost()).vars;
  const as = (id: string) => ({ ...base, os: { ...base.os, id } });
  assert.equal(dockerRepoBase(as("rhel"), vars), "https://download.docker.com/linux/rhel");
  // Rocky and AlmaLinux are RHEL rebuilds: Docker's RHEL repository (tests/unit/systems_test.ts per major).
  assert.equal(dockerRepoBase(as("rocky"), vars), "https://download.docker.com/linux/rhel");
  assert.equal(dockerRepoBase(as("almalinux"), vars), "https://download.docker.com/linux/rhel");
  assert.equal(dockerRepoBase(as("centos"), vars), "https://download.docker.com/linux/centos");
  const script = changeApache(base.apache!, { change: "true" }, "x").script;
  assert.match(script, /f=\/etc\/httpd\/conf\.d\/EPFL_isa\.conf/);
  assert.match(script, /out=\$\(\/usr\/sbin\/httpd -t 2>&1\)/);
  assert.match(script, /systemctl reload httpd/);
  assert.doesNotMatch(script, /a2enconf|a2enmod|restart|apachectl/);
});
