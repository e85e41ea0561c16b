import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkControlDir,
  defaultControlDir,
  ensureControlDir,
  MAX_CONTROL_DIR,
  ownerBySh,
  type PathOwner,
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

Deno.test("every folder up the path is checked as OpenSSH does: root's or ours, not writable by others unless sticky", async () => {
  const base = await Deno.makeTempDir({ prefix: "isa-cd-" });
  try {
    // /tmp above is 1777 (sticky): passes. A group-writable folder higher up, not sticky: refused.
    const high = join(base, "high");
    await Deno.mkdir(join(high, "mid"), { recursive: true });
    await Deno.chmod(high, 0o775);
    const ctl = join(high, "mid", "isa-ssh");
    await assert.rejects(
      ensureControlDir(ctl),
      new RegExp(`refusing .*: ${high} is writable by other users`),
    );
    await Deno.chmod(high, 0o1777);
    await ensureControlDir(ctl);
    // Fine once, then changed: the next check refuses it (Ssh checks before each connection).
    await checkControlDir(ctl);
    await Deno.chmod(join(high, "mid"), 0o777);
    await assert.rejects(checkControlDir(ctl), /mid is writable by other users/);
    await Deno.chmod(join(high, "mid"), 0o700);
    await Deno.chmod(ctl, 0o755);
    await assert.rejects(checkControlDir(ctl), /its mode is 0755, not 0700/);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("Ssh checks its control folder before each connection, not once per instance", async () => {
  const bin = await Deno.makeTempDir({ prefix: "isa-cd-ssh-" });
  try {
    // A stand-in for ssh that runs the remote command here, as sshd's shell would.
    await Deno.writeTextFile(
      join(bin, "ssh"),
      `#!/bin/sh\nfor a; do last=$a; done; exec /bin/sh -c "$last"\n`,
      {
        mode: 0o755,
      },
    );
    const ctl = join(bin, "ctl");
    const code = `
      import { Ssh } from ${JSON.stringify(new URL("../../lib/transport/ssh.ts", import.meta.url).href)};
      const ssh = new Ssh({ name: "h", ssh: { address: "h.invalid" } }, { controlDir: ${
      JSON.stringify(ctl)
    } });
      await ssh.run("true");
      await Deno.chmod(${JSON.stringify(ctl)}, 0o755);
      try { await ssh.run("true"); console.log("ran"); } catch (e) { console.log(e.message); }`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", code],
      env: { PATH: `${bin}:${Deno.env.get("PATH")}` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    assert.match(
      text,
      /refusing .*ctl as the SSH control folder: its mode is 0755/,
      new TextDecoder().decode(out.stderr),
    );
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("a folder only root can change is stat-ed through sh once per process; any other, at every check", async () => {
  // Unique names: the memo lives as long as the process, and other tests share it.
  const tag = crypto.randomUUID();
  const asked: string[] = [];
  const fake = (answers: Record<string, PathOwner | null>) => (path: string) => {
    asked.push(path);
    return Promise.resolve(answers[path]);
  };
  const root = `/root-only-${tag}`, theirs = `/theirs-${tag}`, open = `/group-writable-${tag}`;
  const link = `/link-${tag}`, gone = `/gone-${tag}`;
  const stat = fake({
    [root]: { uid: 0, mode: 0o755, isSymlink: false },
    [theirs]: { uid: 1000, mode: 0o755, isSymlink: false },
    [open]: { uid: 0, mode: 0o775, isSymlink: false },
    [link]: { uid: 0, mode: 0o777, isSymlink: true },
    [gone]: null,
  });
  for (let i = 0; i < 3; i++) {
    for (const p of [root, theirs, open, link, gone]) await ownerBySh(p, stat);
  }
  const count = (p: string) => asked.filter((a) => a === p).length;
  assert.equal(count(root), 1, "root's 0755 folder: asked once");
  assert.deepEqual(await ownerBySh(root, stat), { uid: 0, mode: 0o755, isSymlink: false }, "and answered");
  for (const p of [theirs, open, link, gone]) assert.equal(count(p), 3, `${p}: asked at every check`);
});
