/**
 * Debian 13 from real probes: the facts script's whole output on the lab's Debian 13 host (trixie's own
 * packages; tests/fixtures/README.md says how they were taken), fresh, and in the state Debian 13 leaves a
 * host that installed `docker.io` without its recommended `docker-cli`: an engine, and no client.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseFacts } from "../../lib/facts/probe.ts";
import { FINISH_DPKG, installDocker, installDockerClient } from "../../lib/commands/docker.ts";
import { dockerStep } from "../../lib/steps/docker.ts";
import { unsupportedReason } from "../../lib/steps/facts.ts";
import { blankProbed } from "../../lib/facts/needs.ts";
import { fakeContext, qualHost } from "../helpers/fake_host.ts";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");
const probe = () => Deno.readTextFile(join(fixtures, "debian13-engine-without-client.probe"));
const fresh = () => Deno.readTextFile(join(fixtures, "debian13-fresh.probe"));

/** The install folder's marker, as the probe's stat of it reads once a deploy wrote it. */
function marked() {
  const probed = blankProbed();
  probed.stats["/srv/isa/.isa-monitoring"] = { owner: "0:0", mode: "644" };
  return probed;
}

Deno.test("Debian 13, fresh: docker.io is installed from Debian's repositories, with its client", async () => {
  const facts = parseFacts(await fresh());
  assert.deepEqual([facts.docker.installed, facts.docker.clientMissing], [false, false]);
  assert.equal(facts.apache?.version, "2.4.71");
  const changes = await dockerStep.plan(fakeContext(facts, await qualHost(), [], marked()));
  assert.ok(
    changes.some((c) =>
      c.summary ===
        "install docker.io from Debian's repositories (and docker-cli, where apt packs the client apart: Debian 13)"
    ),
    changes.map((c) => c.summary).join("\n"),
  );
});

Deno.test("Debian 13 facts from a real probe: trixie's Apache read, supported, the missing client seen", async () => {
  const facts = parseFacts(await probe());
  assert.equal(facts.os.id, "debian");
  assert.equal(facts.os.versionId, "13");
  assert.equal(unsupportedReason(facts.os), null);
  const a = facts.apache!;
  assert.equal(a.binary, "/usr/sbin/apache2");
  assert.equal(a.layout, "debian");
  assert.equal(a.version, "2.4.71");
  assert.equal(a.mpm, "event");
  assert.equal(a.configFile, "/etc/apache2/apache2.conf");
  assert.equal(a.statusModule, true);
  assert.ok(a.includes.includes("/etc/apache2/mods-enabled/status.load"), a.includes.join("\n"));
  assert.equal(a.configOk, true, a.configMessage);
  assert.deepEqual(
    [facts.docker.installed, facts.docker.clientMissing, facts.docker.running],
    [true, true, true],
  );
});

Deno.test("Debian 13: an engine without its client gets docker-cli, and nothing is reinstalled", async () => {
  const facts = parseFacts(await probe());
  const probed = marked();
  const changes = await dockerStep.plan(fakeContext(facts, await qualHost(), [], probed));
  const summaries = changes.map((c) => c.summary);
  assert.ok(
    summaries.includes(
      "install docker-cli: the engine has no `docker` client, through which the deploy reaches it as root",
    ),
    summaries.join("\n"),
  );
  assert.ok(!summaries.some((s) => /install docker\.io/.test(s)), summaries.join("\n"));
  // With the client there (every probe before this section existed), no such change.
  const withClient = parseFacts((await probe()).replace("@@docker-client\nmissing\n", "@@docker-client\n"));
  assert.equal(withClient.docker.clientMissing, false);
  const again = await dockerStep.plan(fakeContext(withClient, await qualHost(), [], probed));
  assert.ok(!again.some((c) => /docker-cli/.test(c.summary)), again.map((c) => c.summary).join("\n"));
});

Deno.test("the engine's install on Debian takes docker-cli wherever apt has it; the client alone per family", async () => {
  const vars = (await qualHost()).vars;
  const debian = { family: "debian", prettyName: "Debian GNU/Linux 13 (trixie)" };
  assert.equal(
    installDocker(debian, vars).script,
    [
      "set -eu",
      "export DEBIAN_FRONTEND=noninteractive",
      FINISH_DPKG,
      "apt-get -o DPkg::Lock::Timeout=60 update -qq",
      'pkgs=docker.io; if apt-cache show docker-cli >/dev/null 2>&1; then pkgs="$pkgs docker-cli"; fi',
      "apt-get -o DPkg::Lock::Timeout=60 install -y -qq --no-install-recommends $pkgs",
    ].join("\n"),
  );
  assert.equal(
    installDockerClient(debian, vars).script,
    [
      "set -eu",
      "export DEBIAN_FRONTEND=noninteractive",
      // No `dpkg --configure -a` beside a running engine: a half-configured package there may be anyone's.
      "apt-get -o DPkg::Lock::Timeout=60 update -qq",
      "apt-get -o DPkg::Lock::Timeout=60 install -y -qq --no-install-recommends docker-cli",
    ].join("\n"),
  );
  const rhel = installDockerClient({ family: "rhel", prettyName: "RHEL 10" }, vars).script;
  assert.match(rhel, /\ndnf_bounded -y install docker-ce-cli$/);
  assert.throws(() => installDockerClient({ family: "unknown", prettyName: "Arch" }, vars), /Arch/);
});

Deno.test("an interrupted dpkg is finished once the cut run's dpkg lets go of its lock; any other error at once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A dpkg that finds its lock held `busy` times, then configures; or fails for another reason.
    await Deno.writeTextFile(
      `${dir}/dpkg`,
      `#!/bin/sh
n=$(cat ${dir}/calls 2>/dev/null || echo 0); echo $((n + 1)) > ${dir}/calls
if [ "$MODE" = broken ]; then echo "dpkg: error: parsing file '/var/lib/dpkg/status'" >&2; exit 2; fi
if [ "$n" -lt "$BUSY" ]; then
  echo "dpkg: error: dpkg frontend lock was locked by another process with pid 1738" >&2; exit 2
fi
echo "Setting up docker.io"
`,
      { mode: 0o755 },
    );
    const run = async (env: Record<string, string>) => {
      await Deno.remove(`${dir}/calls`).catch(() => {});
      const out = await new Deno.Command("/bin/sh", {
        args: ["-c", FINISH_DPKG],
        env: { PATH: `${dir}:/usr/bin:/bin`, ...env },
      }).output();
      return {
        code: out.code,
        stderr: new TextDecoder().decode(out.stderr),
        calls: Number(await Deno.readTextFile(`${dir}/calls`)),
      };
    };
    assert.deepEqual(await run({ BUSY: "2" }), { code: 0, stderr: "", calls: 3 });
    const broken = await run({ BUSY: "0", MODE: "broken" });
    assert.equal(broken.code, 1);
    assert.equal(broken.calls, 1, "not retried");
    assert.match(broken.stderr, /parsing file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
