/** The fault-handling pieces that need no host: what faults_test.ts proves on the lab, in isolation. */
import assert from "node:assert/strict";
import $ from "dax";
import { packageLockWaitSeconds, waitForPackageLock } from "../../lib/steps/docker_install.ts";
import type { Facts } from "../../lib/facts/facts.ts";
import { parseFacts } from "../../lib/facts/probe.ts";
import { recapCounts } from "../../lib/engine/report.ts";
import type { RemoteResult, Ssh } from "../../lib/transport/ssh.ts";
import { writeFileScript } from "../../lib/commands/files.ts";
import { explainPortClash } from "../../lib/containers/port_clash.ts";

/** An Ssh that answers each `run` from a list (the last answer repeats). */
function fakeSsh(answers: string[]): Ssh & { calls: number } {
  const fake = {
    calls: 0,
    run(): Promise<RemoteResult> {
      const out = answers[Math.min(fake.calls++, answers.length - 1)];
      return Promise.resolve({ code: 0, stdout: out, stderr: "" });
    },
  };
  return fake as unknown as Ssh & { calls: number };
}

const debian = { os: { family: "debian" } } as Facts;

Deno.test("a host refused before any step (lock held) counts as one failure in the recap", () => {
  const r = recapCounts({ host: "h", status: "failed", steps: [], error: "another run holds…", seconds: 0 });
  assert.deepEqual(r, { ok: 0, changed: 0, failed: 1, unreachable: 0 });
});

Deno.test("package lock: waits while held, says who holds it, gives up naming the holder", async () => {
  assert.equal(packageLockWaitSeconds(undefined), 300);
  assert.equal(packageLockWaitSeconds("7"), 7);
  assert.equal(packageLockWaitSeconds("soon"), 300);

  const holder = "pid 42 (apt-get install foo) holds /var/lib/dpkg/lock-frontend";
  const lines: string[] = [];
  const released = fakeSsh([holder, ""]);
  await waitForPackageLock(released, debian, (l) => lines.push(l), 30);
  assert.equal(released.calls, 2, "asked again until the lock was free");
  assert.deepEqual(lines, [`waiting for the package manager: ${holder} (up to 30 s)`]);

  await assert.rejects(
    waitForPackageLock(fakeSsh([holder]), debian, () => {}, 0),
    new RegExp(
      `the package manager is busy: pid 42 \\(apt-get install foo\\) holds .*Docker was not installed`,
    ),
  );
  // dnf's wait has no end: the RHEL family is asked too, and refused the same way.
  const dnfHolder = "pid 77 (/usr/bin/python3 /usr/bin/dnf makecache) holds /var/cache/dnf/metadata_lock.pid";
  const rhel = fakeSsh([dnfHolder, ""]);
  await waitForPackageLock(rhel, { os: { family: "rhel" } } as Facts, () => {}, 30);
  assert.equal(rhel.calls, 2, "asked again until dnf's lock was free");
  await assert.rejects(
    waitForPackageLock(fakeSsh([dnfHolder]), { os: { family: "rhel" } } as Facts, () => {}, 0),
    /the package manager is busy: pid 77 \(\/usr\/bin\/python3 \/usr\/bin\/dnf makecache\) holds/,
  );
});

Deno.test("port clash: Docker's bind error gets the process that holds the port", async () => {
  const docker = new Error(
    "(HTTP code 500) server error - driver failed programming external connectivity on endpoint prometheus " +
      "(6b30): Error starting userland proxy: listen tcp4 0.0.0.0:8443: bind: address already in use",
  );
  const ss = `LISTEN 0 5 0.0.0.0:8443 0.0.0.0:* users:(("nginx",pid=7167,fd=3),("nginx",pid=7168,fd=3))\n`;
  await assert.rejects(
    explainPortClash(fakeSsh([ss]), "prometheus", docker),
    /^Error: port 8443 is already taken on the host by nginx \(pid 7167\), nginx \(pid 7168\); container prometheus was not started: stop that process or change ports in the inventory\n\(Docker: .*address already in use\)$/,
  );
  const other = new Error("no such image");
  await assert.rejects(explainPortClash(fakeSsh([""]), "prometheus", other), (e) => e === other);
});

Deno.test("an unknown free-space figure is NaN, not 0 MiB (so it can't refuse a deploy)", () => {
  assert.ok(Number.isNaN(parseFacts("@@disk\n@@end\n").diskFreeMb));
  assert.equal(parseFacts("@@disk\n1234\n@@end\n").diskFreeMb, 1234);
});

Deno.test("an atomic write removes the temp files a cut-off write left next to the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "isa-faults-" });
  try {
    const target = `${dir}/app.conf`;
    await Deno.writeTextFile(target, "old\n");
    await Deno.writeTextFile(`${target}.isa-tmp.Ab12Cd`, "half wr");
    await Deno.writeTextFile(`${dir}/other.conf.isa-tmp.Zz99Yy`, "not ours to clean");
    await $`sh -s`.stdinText(writeFileScript(target, "new\n", { mode: 0o640 })).quiet();
    assert.equal(await Deno.readTextFile(target), "new\n");
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["app.conf", "other.conf.isa-tmp.Zz99Yy"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
