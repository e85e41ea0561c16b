/**
 * "Unreachable" must not depend on a race between ssh and our stdin write: `Ssh.run` goes through stand-ins
 * for the system `ssh` (first on PATH, in a child process so no other test sees that PATH) that die before
 * reading stdin, and one that runs the remote command here, as sshd's shell would.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SHELL_MARK, shellReached, unreachableReason } from "../../lib/transport/ssh.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SSH_MODULE = new URL("../../lib/transport/ssh.ts", import.meta.url).href;

/** Stand-ins for `ssh`: each ignores its options; the last argument is the remote command. */
const STANDINS: Record<string, string> = {
  // sshd behind docker-proxy, stopped: the connection is reset before the key exchange.
  reset: `echo 'kex_exchange_identification: read: Connection reset by peer' >&2; exit 255`,
  // Dies before reading stdin with another code (a wrapper, a ProxyCommand that failed).
  dies: `echo 'proxy: no route' >&2; exit 1`,
  // Reaches the "remote" shell: runs the command here as sshd would (we are root in CI, so no sudo).
  shell: `for a; do last=$a; done; exec /bin/sh -c "$last"`,
};

/** Runs `Ssh.run(script)` against the stand-in `name`; returns the error's class and message, or the result. */
async function runWith(
  name: string,
  script: string,
): Promise<{ error?: string; message?: string; code?: number; stderr?: string }> {
  const bin = await Deno.makeTempDir({ prefix: "isa-ssh-standin-" });
  try {
    await Deno.writeTextFile(join(bin, "ssh"), `#!/bin/sh\n${STANDINS[name]}\n`, { mode: 0o755 });
    await Deno.writeTextFile(join(bin, "script"), script);
    const code = `
      import { Ssh } from ${JSON.stringify(SSH_MODULE)};
      const ssh = new Ssh({ name: "isaqal99", ssh: { address: "isaqal99.invalid" } }, { controlDir: ${
      JSON.stringify(join(bin, "ctl"))
    } });
      try {
        const r = await ssh.run(await Deno.readTextFile(Deno.env.get("SCRIPT_FILE")));
        console.log(JSON.stringify({ code: r.code, stderr: r.stderr }));
      } catch (e) {
        console.log(JSON.stringify({ error: e.name, message: e.message, code: e.code, stderr: e.stderr }));
      }`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", code],
      cwd: ROOT,
      env: { PATH: `${bin}:${Deno.env.get("PATH")}`, SCRIPT_FILE: join(bin, "script") },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    assert.ok(text, new TextDecoder().decode(out.stderr));
    return JSON.parse(text.split("\n").pop()!);
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
}

// Far more than a pipe holds (64 KiB): the write is still going on when the stand-in exits, so the
// broken pipe is certain rather than a race lost now and then.
const BIG = `: ${"x".repeat(1 << 20)}\ntrue\n`;

Deno.test("ssh dies before reading stdin (connection reset): unreachable, with ssh's reason", async () => {
  for (const script of [BIG, "true\n"]) {
    const r = await runWith("reset", script);
    assert.equal(r.error, "UnreachableError", JSON.stringify(r));
    assert.equal(r.message, "isaqal99: kex_exchange_identification: read: Connection reset by peer");
  }
});

Deno.test("ssh exits 1 before the remote shell ran: unreachable, not failed", async () => {
  const r = await runWith("dies", BIG);
  assert.equal(r.error, "UnreachableError", JSON.stringify(r));
  assert.equal(r.message, "isaqal99: proxy: no route");
});

Deno.test("once the remote shell ran, a failure is the host's answer, and the mark is not in stderr", async () => {
  const failed = await runWith("shell", "echo boom >&2; exit 7\n");
  assert.equal(failed.error, "RemoteError", JSON.stringify(failed));
  assert.equal(failed.code, 7);
  assert.equal(failed.stderr, "boom\n");
  const ok = await runWith("shell", BIG);
  assert.deepEqual(ok, { code: 0, stderr: "" });
});

Deno.test("shellReached and unreachableReason read ssh's stderr", () => {
  assert.deepEqual(shellReached(`${SHELL_MARK}\nboom\n`), { reached: true, stderr: "boom\n" });
  assert.deepEqual(shellReached(`Warning: added\n${SHELL_MARK}\n`), {
    reached: true,
    stderr: "Warning: added\n",
  });
  assert.deepEqual(shellReached(`x${SHELL_MARK}\n`), { reached: false, stderr: `x${SHELL_MARK}\n` });
  assert.equal(
    unreachableReason(
      "Warning: Permanently added 'h'\nssh: connect to host h port 22: Connection refused\n" +
        "stdin pipe broken. write EPIPE\n",
    ),
    "ssh: connect to host h port 22: Connection refused",
  );
  assert.match(unreachableReason(""), /before the remote shell started/);
});

Deno.test("a failed command with nothing on stderr: the error never quotes its stdout (the probe's base64 of secrets)", async () => {
  // The base64 is made by the script, so only its stdout holds it (the error names the script's first line).
  const failed = await runWith("shell", `printf '@@file\\n%s%s\\n' c2VjcmV0 LXBhc3N3b3Jk; exit 3\n`);
  assert.equal(failed.error, "RemoteError", JSON.stringify(failed));
  assert.equal(failed.code, 3);
  assert.ok(!failed.message?.includes("c2VjcmV0LXBhc3N3b3Jk"), failed.message);
  assert.match(failed.message!, /: exit 3$/);
});
