/**
 * Issue 24: the jump host hop gets BatchMode and ConnectTimeout (a ProxyCommand instead of `ssh -J`,
 * whose hop ssh gets neither), checked as the argv /bin/sh gives each hop's ssh.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { jumpProxyCommand, Ssh } from "../../lib/transport/ssh.ts";

/** ssh's percent expansion of a ProxyCommand (readconf.c's %h, %p and %%), for one hop. */
const expand = (cmd: string, host: string, port: string) =>
  cmd.replace(/%(.)/g, (_, c: string) => (c === "h" ? host : c === "p" ? port : c === "%" ? "%" : `%${c}`));

/** The argv that `/bin/sh -c "exec CMD"` gives `ssh` (a stand-in that prints it), as ssh runs a ProxyCommand. */
async function argvOf(cmd: string): Promise<string[]> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "ssh"), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done\n`, {
      mode: 0o755,
    });
    const out = await new Deno.Command("/bin/sh", {
      args: ["-c", `exec ${cmd}`],
      env: { PATH: `${dir}:/usr/bin:/bin` },
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout).trimEnd().split("\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("one jump host: its ssh gets BatchMode, ConnectTimeout, user, port and -W to the target", async () => {
  const cmd = jumpProxyCommand("admin@bastion.example.org:2222", 10);
  assert.equal(
    cmd,
    "ssh -o BatchMode=yes -o ConnectTimeout=10 -l admin -p 2222 -W '[%h]:%p' bastion.example.org",
  );
  assert.deepEqual(await argvOf(expand(cmd, "10.209.9.9", "22")), [
    ...["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-l", "admin", "-p", "2222"],
    ...["-W", "[10.209.9.9]:22", "bastion.example.org"],
  ]);
});

Deno.test("the inventory's ssh_config reaches the hop (-F), quoted for sh, its % kept literal", async () => {
  const cmd = jumpProxyCommand("isa-lab-bastion", 5, "/home/op/my ssh %d/config");
  assert.deepEqual(await argvOf(expand(cmd, "isaqal09", "22")), [
    ...["-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-F", "/home/op/my ssh %d/config"],
    ...["-W", "[isaqal09]:22", "isa-lab-bastion"],
  ]);
});

Deno.test("two hops: the last one's ssh carries the first as its own ProxyCommand, BatchMode on both", async () => {
  const cmd = jumpProxyCommand("a.example,ops@b.example", 7);
  const outer = await argvOf(expand(cmd, "target", "22"));
  assert.deepEqual(outer, [
    ...["-o", "BatchMode=yes", "-o", "ConnectTimeout=7", "-l", "ops", "-o"],
    "ProxyCommand=ssh -o BatchMode=yes -o ConnectTimeout=7 -W '[%h]:%p' a.example",
    ...["-W", "[target]:22", "b.example"],
  ]);
  // What the hop's ssh then runs to reach b.example: the first hop, with BatchMode too.
  const inner = outer[7].slice("ProxyCommand=".length);
  assert.deepEqual(await argvOf(expand(inner, "b.example", "22")), [
    ...["-o", "BatchMode=yes", "-o", "ConnectTimeout=7", "-W", "[b.example]:22", "a.example"],
  ]);
});

Deno.test("sshArgs: an inventory jump becomes the ProxyCommand, never -J", () => {
  const ssh = new Ssh(
    {
      name: "h1",
      ssh: { address: "10.0.0.5", jump: "bastion", configFile: "/etc/isa/ssh_config" },
      vars: {},
    } as never,
    { connectTimeout: 4, controlDir: "/run/user/1000/isa-ssh" },
  );
  const args = ssh.sshArgs();
  assert.ok(!args.includes("-J"));
  assert.equal(
    args[args.indexOf("-o", args.indexOf("StreamLocalBindUnlink=yes")) + 1],
    "ProxyCommand=ssh -o BatchMode=yes -o ConnectTimeout=4 -F /etc/isa/ssh_config -W '[%h]:%p' bastion",
  );
});
