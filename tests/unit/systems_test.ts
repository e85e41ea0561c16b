/**
 * Issue 24: the systems we support, from one list (lib/facts/os.ts SYSTEMS): Docker's repository per
 * system and major, RHEL 10 family and Debian 13 from real os-release files, the refusals, the machine.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseFacts } from "../../lib/facts/probe.ts";
import type { Facts } from "../../lib/facts/facts.ts";
import { osFamily } from "../../lib/facts/os.ts";
import { dockerRepoBase, dockerRepoFile } from "../../lib/steps/docker_install.ts";
import { factsStep, reachTargets, unsupportedReason } from "../../lib/steps/facts.ts";
import { fakeContext, qualHost } from "../helpers/fake_host.ts";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

/** The RHEL 9 fixture probe with another os-release (a real file from tests/fixtures) and machine. */
async function probeAs(osRelease: string, arch = "x86_64"): Promise<Facts> {
  let text = await Deno.readTextFile(join(fixtures, "rhel9-fresh.probe"));
  const file = await Deno.readTextFile(join(fixtures, osRelease));
  for (const [section, body] of [["os-release", file.trimEnd()], ["arch", arch]]) {
    text = text.replace(new RegExp(`^@@${section}\\n(?:(?!@@).*\\n)*`, "m"), () => `@@${section}\n${body}\n`);
  }
  return parseFacts(text);
}

/** An os-release's parsed fields as the facts hold them (family decided by the one list). */
const os = (id: string, versionId: string, idLike: string[] = []): Facts["os"] => ({
  id,
  idLike,
  versionId,
  family: osFamily(id, idLike),
  prettyName: `${id} ${versionId}`,
  arch: "x86_64",
});

Deno.test("Docker's repository per system and major: rhel, rocky, almalinux → linux/rhel; centos → linux/centos", async () => {
  const vars = (await qualHost()).vars;
  const base = await probeAs("rhel-10.os-release");
  const url = (id: string, major: string, idLike: string[] = []) => {
    const facts = { ...base, os: os(id, major, idLike) };
    const b = dockerRepoBase(facts, vars);
    return b && /^baseurl=(.*)$/m.exec(dockerRepoFile(b, facts))![1];
  };
  const want: [string, string, string][] = [];
  for (const id of ["rhel", "rocky", "almalinux"]) {
    for (const major of ["8", "9", "10"]) {
      want.push([id, major, `https://download.docker.com/linux/rhel/${major}/$basearch/stable`]);
    }
  }
  for (const major of ["9", "10"]) {
    want.push(["centos", major, `https://download.docker.com/linux/centos/${major}/$basearch/stable`]);
  }
  for (const [id, major, expected] of want) assert.equal(url(id, major), expected, `${id} ${major}`);
  // A rebuild that names rhel in ID_LIKE takes RHEL's repository; Debian gets none of ours.
  assert.equal(url("navylinux", "9", ["rhel", "centos", "fedora"]), want[1][2]);
  assert.equal(url("debian", "13", []), null);
  // CentOS Stream 8: Docker stopped building it (docker-ce-packaging 67c89e9), so it is refused.
  assert.match(
    unsupportedReason(os("centos", "8", ["rhel", "fedora"])) ?? "",
    /^unsupported system: centos 8 \(ID=centos, VERSION_ID=8\); supported: .*CentOS Stream 9 and 10/,
  );
});

Deno.test("RHEL 10, AlmaLinux 10, CentOS Stream 10 and Debian 13 from their real os-release: parsed, supported, right repository", async () => {
  const vars = (await qualHost()).vars;
  const cases: [string, string, string, "rhel" | "debian", string | null][] = [
    ["rhel-10.os-release", "rhel", "10.0", "rhel", "https://download.docker.com/linux/rhel"],
    ["almalinux-10.os-release", "almalinux", "10.0", "rhel", "https://download.docker.com/linux/rhel"],
    ["centos-stream-10.os-release", "centos", "10", "rhel", "https://download.docker.com/linux/centos"],
    ["debian-13.os-release", "debian", "13", "debian", null],
  ];
  for (const [file, id, versionId, family, repo] of cases) {
    const facts = await probeAs(file);
    assert.equal(facts.os.id, id, file);
    assert.equal(facts.os.versionId, versionId, file);
    assert.equal(facts.os.family, family, file);
    assert.equal(unsupportedReason(facts.os), null, file);
    assert.equal(dockerRepoBase(facts, vars), repo, file);
    assert.deepEqual(await factsStep.plan(fakeContext(facts, await qualHost())), [], file);
  }
  // RHEL 10's ID_LIKE no longer names rhel ("centos fedora"): its ID decides, not Fedora's entry.
  assert.deepEqual((await probeAs("rhel-10.os-release")).os.idLike, ["centos", "fedora"]);
});

Deno.test("a major newer than those checked is refused, naming it, unless allow_untested_system; older ones always", async () => {
  const newer = os("rhel", "11.0", ["centos", "fedora"]);
  assert.equal(
    unsupportedReason(newer),
    "untested system: rhel 11.0 (ID=rhel, VERSION_ID=11.0) is newer than the RHEL releases checked " +
      "(8, 9, 10); set allow_untested_system: true for this host to deploy anyway",
  );
  assert.equal(unsupportedReason(newer, true), null);
  assert.match(
    unsupportedReason(os("debian", "14")) ?? "",
    /^untested system: .*Debian releases checked \(11, 12, 13\)/,
  );
  assert.equal(unsupportedReason(os("debian", "14"), true), null);
  // The override never lets an old or unknown system through.
  for (const no of [os("rhel", "7.9"), os("debian", "10"), os("fedora", "42", []), os("arch", "")]) {
    assert.match(unsupportedReason(no, true) ?? "", /^unsupported system: /, `${no.id} ${no.versionId}`);
  }
  // Ubuntu keeps its open end (every LTS from 20.04 on).
  assert.equal(unsupportedReason(os("ubuntu", "26.04", ["debian"])), null);
  // The facts step reads the host's own setting.
  const facts = { ...(await probeAs("rhel-10.os-release")), os: newer };
  await assert.rejects(
    async () => await factsStep.plan(fakeContext(facts, await qualHost())),
    /untested system/,
  );
  assert.deepEqual(
    await factsStep.plan(fakeContext(facts, await qualHost({ allow_untested_system: true }))),
    [],
  );
});

Deno.test("one list decides the family: Fedora is dnf's family but refused; a Debian look-alike is not Debian", () => {
  assert.equal(osFamily("fedora", []), "rhel");
  assert.match(unsupportedReason(os("fedora", "42")) ?? "", /^unsupported system: /);
  assert.equal(osFamily("ol", ["fedora"]), "rhel");
  assert.match(unsupportedReason(os("ol", "9.4", ["fedora"])) ?? "", /^unsupported system: /);
  assert.equal(osFamily("linuxmint", ["ubuntu", "debian"]), "debian");
  assert.match(unsupportedReason(os("linuxmint", "22", ["ubuntu", "debian"])) ?? "", /^unsupported system: /);
  assert.equal(osFamily("arch", []), "unknown");
});

Deno.test("the reachability check asks Docker's repository for the host's own machine (aarch64 too)", async () => {
  const vars = (await qualHost()).vars;
  const arm = await probeAs("almalinux-10.os-release", "aarch64");
  assert.equal(arm.os.arch, "aarch64");
  assert.equal(
    reachTargets(arm, vars)[0].url,
    "https://download.docker.com/linux/rhel/10/aarch64/stable/repodata/repomd.xml",
  );
  const x86 = await probeAs("rhel-10.os-release");
  assert.equal(
    reachTargets(x86, vars)[0].url,
    "https://download.docker.com/linux/rhel/10/x86_64/stable/repodata/repomd.xml",
  );
});
