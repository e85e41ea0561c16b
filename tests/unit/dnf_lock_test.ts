/**
 * Issue 24, item 5: dnf's lock wait is bounded by our own limit and dnf is killed on the host when it
 * expires; the lock's holder is named. Run with sh and stand-ins for dnf and timeout's clock.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DNF_BOUNDED, installDocker, PACKAGE_LIMIT_S, packageLockHolder } from "../../lib/commands/docker.ts";
import { qualHost } from "../helpers/fake_host.ts";

const rhel = { family: "rhel", prettyName: "Red Hat Enterprise Linux 10.0 (Coughlan)" };

Deno.test("dnf runs under timeout with exit_on_lock; the local limit comes after the host's", async () => {
  const vars = (await qualHost()).vars;
  const cmd = installDocker(rhel, vars);
  assert.equal(
    cmd.script,
    `set -eu\n${DNF_BOUNDED}\ndnf_bounded -y install docker-ce docker-ce-cli containerd.io`,
  );
  assert.match(DNF_BOUNDED, /timeout -k 30 840 dnf --setopt=exit_on_lock=True "\$@"/);
  assert.equal(cmd.timeoutMs, (PACKAGE_LIMIT_S + 60) * 1000);
  assert.ok(cmd.timeoutMs! > (PACKAGE_LIMIT_S + 30) * 1000, "ssh outlives timeout's TERM and KILL");
  // With docker_repo none, two dnf runs: room for both.
  const none = installDocker(rhel, { ...vars, docker_repo: "none" });
  assert.equal(none.timeoutMs, (2 * PACKAGE_LIMIT_S + 60) * 1000);
  assert.match(none.script, /^dnf_bounded -q list --available docker-ce /m);
});

Deno.test("dnf_bounded: a dnf that would wait for ever is stopped and named; dnf's own exit code passes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A dnf stand-in that waits as dnf does for a held lock, and a 1 s limit in place of 840 s.
    await Deno.writeTextFile(join(dir, "dnf"), '#!/bin/sh\necho "$*" > "$0.args"\nexec sleep 30\n', {
      mode: 0o755,
    });
    const script = `${DNF_BOUNDED.replaceAll(`${PACKAGE_LIMIT_S}`, "1").replace("-k 30", "-k 1")}
set -eu
dnf_bounded -y install docker-ce
echo not-reached`;
    const t0 = performance.now();
    const out = await new Deno.Command("/bin/sh", {
      args: ["-c", script],
      env: { PATH: `${dir}:/usr/bin:/bin` },
    }).output();
    const seconds = (performance.now() - t0) / 1000;
    const dec = new TextDecoder();
    assert.equal(out.code, 124, "timeout's exit code: dnf was stopped");
    assert.match(dec.decode(out.stderr), /^dnf did not finish within 1 s and was stopped/);
    assert.equal(dec.decode(out.stdout), "", "set -e: nothing after a stopped dnf runs");
    assert.ok(seconds < 10, `stopped in ${seconds} s`);
    assert.equal(
      await Deno.readTextFile(join(dir, "dnf.args")),
      "--setopt=exit_on_lock=True -y install docker-ce\n",
    );
    // A dnf that fails by itself keeps its code and gets no "stopped" line.
    await Deno.writeTextFile(join(dir, "dnf"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    const failed = await new Deno.Command("/bin/sh", {
      args: ["-c", `${DNF_BOUNDED}\ndnf_bounded -y install x`],
      env: { PATH: `${dir}:/usr/bin:/bin` },
    }).output();
    assert.equal(failed.code, 1);
    assert.equal(dec.decode(failed.stderr), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the RHEL family's lock holder: dnf's pid files and rpm's lock; Debian's stays apt's", () => {
  const s = packageLockHolder("rhel").script;
  assert.match(
    s,
    /^for f in \/var\/lib\/dnf\/rpmdb_lock\.pid \/var\/cache\/dnf\/metadata_lock\.pid \/var\/cache\/dnf\/download_lock\.pid; do$/m,
  );
  assert.match(s, /^for f in \/var\/lib\/rpm\/\.rpm\.lock; do$/m);
  assert.doesNotMatch(s, /dpkg/);
  const d = packageLockHolder("debian").script;
  assert.match(d, /^for f in \/var\/lib\/dpkg\/lock-frontend /m);
  assert.doesNotMatch(d, /dnf|rpm/);
});

Deno.test("the dnf pid-file check names a live holder and skips a stale file", async () => {
  // The script's paths pointed at a temp folder; this test's own pid is the live holder.
  const dir = await Deno.makeTempDir();
  try {
    const script = packageLockHolder("rhel").script.replaceAll("/var/lib/dnf/", `${dir}/`)
      .replaceAll("/var/cache/dnf/", `${dir}/`).replaceAll("/var/lib/rpm/", `${dir}/`);
    await Deno.writeTextFile(join(dir, "rpmdb_lock.pid"), "999999999");
    const run = async () =>
      new TextDecoder().decode((await new Deno.Command("/bin/sh", { args: ["-c", script] }).output()).stdout);
    assert.equal(await run(), "", "a pid that is not running holds nothing");
    await Deno.writeTextFile(join(dir, "metadata_lock.pid"), String(Deno.pid));
    assert.match(
      await run(),
      new RegExp(`^pid ${Deno.pid} \\(.*deno.*\\) holds ${dir}/metadata_lock\\.pid\\n$`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
