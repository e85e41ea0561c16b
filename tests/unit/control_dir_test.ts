import assert from "node:assert/strict";
import { join } from "node:path";
import {
  defaultControlDir,
  ensureControlDir,
  MAX_CONTROL_DIR,
  privateDirProblem,
} from "../../lib/transport/ssh.ts";

const uid = Deno.uid();
const dir = (over: Partial<Deno.FileInfo> = {}) => ({
  isDirectory: true,
  isSymlink: false,
  uid,
  mode: 0o40700,
  ...over,
});

Deno.test("control folder checks: only a real folder of ours with mode 0700 passes", () => {
  assert.equal(privateDirProblem(dir(), uid), null);
  assert.match(privateDirProblem(null, uid)!, /does not exist/);
  assert.match(privateDirProblem(dir({ isSymlink: true, isDirectory: false }), uid)!, /symbolic link/);
  assert.match(privateDirProblem(dir({ isDirectory: false }), uid)!, /not a folder/);
  assert.match(privateDirProblem(dir({ uid: (uid ?? 0) + 1 }), uid)!, /owned by uid/);
  assert.match(privateDirProblem(dir({ mode: 0o40777 }), uid)!, /mode is 0777/);
  assert.match(privateDirProblem(dir({ mode: 0o41777 }), uid)!, /mode is 1777/, "sticky /tmp-style folder");
  assert.match(privateDirProblem(dir({ mode: 0o40750 }), uid)!, /mode is 0750/);
});

Deno.test("default control folder: never /tmp, runtime folder first, too long refused", async () => {
  const run = await Deno.makeTempDir({ prefix: "isa-run-" });
  try {
    await Deno.chmod(run, 0o700);
    assert.equal(defaultControlDir({ XDG_RUNTIME_DIR: run, HOME: "/home/u" }), `${run}/isa-ssh`);
    // A runtime folder others can write is skipped, not used.
    await Deno.chmod(run, 0o777);
    assert.equal(defaultControlDir({ XDG_RUNTIME_DIR: run, HOME: "/home/u" }), "/home/u/.ssh/isa-ssh");
  } finally {
    await Deno.remove(run, { recursive: true });
  }
  assert.equal(defaultControlDir({ HOME: "/root" }), "/root/.ssh/isa-ssh");
  assert.doesNotMatch(defaultControlDir(), /^\/tmp\//);
  const longHome = "/home/" + "x".repeat(MAX_CONTROL_DIR);
  assert.throws(() => defaultControlDir({ HOME: longHome }), /short enough for the \d+-byte limit/);
  assert.throws(() => defaultControlDir({}), /neither XDG_RUNTIME_DIR nor HOME/);
  // The longest socket we create in it still fits a 104-byte sun_path.
  assert.ok(MAX_CONTROL_DIR + 1 + 40 + 17 <= 103);
});

Deno.test("ensureControlDir creates 0700, refuses a symlink, a world-writable or a foreign folder", async () => {
  const base = await Deno.makeTempDir({ prefix: "isa-cd-" });
  try {
    await Deno.chmod(base, 0o700);
    const fresh = join(base, "a", "isa-ssh");
    await ensureControlDir(fresh);
    assert.equal((await Deno.lstat(fresh)).mode! & 0o777, 0o700);
    assert.equal((await Deno.lstat(join(base, "a"))).mode! & 0o777, 0o700, "parent created private too");

    const open = join(base, "open");
    await Deno.mkdir(open);
    await Deno.chmod(open, 0o777);
    await assert.rejects(ensureControlDir(open), /refusing .*mode is 0777/);
    assert.equal((await Deno.lstat(open)).mode! & 0o777, 0o777, "left as found, not repaired");

    const target = join(base, "target");
    await Deno.mkdir(target, { mode: 0o700 });
    await Deno.chmod(target, 0o700);
    const link = join(base, "link");
    await Deno.symlink(target, link);
    await assert.rejects(ensureControlDir(link), /refusing .*symbolic link/);

    const inShared = join(base, "shared", "isa-ssh");
    await Deno.mkdir(join(base, "shared"));
    await Deno.chmod(join(base, "shared"), 0o1777);
    await assert.rejects(ensureControlDir(inShared), /writable by other users/);

    if (uid === 0) {
      // Only root can hand a folder to another user; elsewhere the pure check above covers it.
      const foreign = join(base, "foreign");
      await Deno.mkdir(foreign);
      await Deno.chmod(foreign, 0o700);
      await Deno.chown(foreign, 65534, 65534);
      await assert.rejects(ensureControlDir(foreign), /owned by uid 65534/);
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
