import assert from "node:assert/strict";
import $ from "dax";
import { join } from "node:path";
import { loadInventory } from "../../lib/inventory/load.ts";
import { RemoteError, UnreachableError } from "../../lib/base/errors.ts";
import { quote } from "../../lib/base/quote.ts";
import { dockerPing, Ssh } from "../../lib/transport/ssh.ts";
import { cli, lab } from "../helpers/lab.ts";
import { HOSTILE } from "../helpers/hostile.ts";

Deno.test("SSH engine against a real sshd on a loopback address", async (t) => {
  const info = await lab();
  const inv = await loadInventory(info.inventory);
  const host = inv.hosts[0];
  const debug: string[] = [];
  const ssh = new Ssh(host, { debug: (l) => debug.push(l) });
  try {
    await t.step("runs as root over one multiplexed connection", async () => {
      await ssh.open();
      const r = await ssh.run("id -u; hostname");
      assert.equal(r.stdout, `0\n${host.name}\n`);
      const check = await new Deno.Command("ssh", {
        args: [...ssh.sshArgs(), "-O", "check", host.ssh.address],
        stderr: "piped",
      }).output();
      assert.equal(check.code, 0, "the ControlMaster is alive and reused");
      assert.match(new TextDecoder().decode(check.stderr), /Master running/);
    });

    await t.step("hostile values reach the remote shell as data, never as code", async () => {
      await ssh.run("rm -f /tmp/pwned");
      for (const v of HOSTILE) {
        const r = await ssh.run(`printf '%s' ${quote(v)}`);
        assert.equal(r.stdout, v, JSON.stringify(v));
      }
      const marker = await ssh.run("test -e /tmp/pwned && echo PWNED || echo clean");
      assert.equal(marker.stdout.trim(), "clean");
    });

    await t.step(
      "writeFile is atomic, sets the mode, and survives hostile paths and binary content",
      async () => {
        const dir = "/tmp/isa test; $(touch /tmp/pwned)";
        const path = `${dir}/it's \"a\" file`;
        const bytes = new Uint8Array(70000).map((_, i) => (i * 7) % 256);
        await ssh.writeFile(path, bytes, { mode: 0o600, owner: "root:root" });
        const r = await ssh.run(
          `stat -c '%a %U' ${quote(path)}; sha256sum < ${quote(path)}; ls ${quote(dir)} | wc -l`,
        );
        const [mode, sum, count] = r.stdout.trim().split("\n");
        assert.equal(mode, "600 root");
        const local = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)))
          .map((b) => b.toString(16).padStart(2, "0")).join("");
        assert.equal(sum.split(" ")[0], local);
        assert.equal(count, "1", "no temp file left beside it");
        assert.equal(await ssh.readFile(path + ".missing"), null);
        assert.equal(
          (await ssh.run("test -e /tmp/pwned && echo PWNED || echo clean")).stdout.trim(),
          "clean",
        );
        await ssh.run(`rm -rf ${quote(dir)}`);
      },
    );

    await t.step("file content never shows in the verbose log or in any ssh argv", async () => {
      assert.ok(debug.some((l) => l.startsWith("$ write /tmp/isa test")));
      assert.ok(!debug.some((l) => l.includes("base64 -d")), "write logs a summary, not the script");
      // Every ssh the engine starts goes through a wrapper on PATH that records its argv (what `ps`
      // on this machine shows; its remote command is what the host's sshd runs) and then runs ssh.
      const realSsh = await $.which("ssh");
      assert.ok(realSsh, "ssh is on PATH");
      const dir = await Deno.makeTempDir({ prefix: "isa-argv-" });
      const argvLog = join(dir, "argv.log");
      await Deno.writeTextFile(
        join(dir, "ssh"),
        `#!/bin/sh\nprintf '%s\\n' "$@" >> ${quote(argvLog)}\necho --- >> ${quote(argvLog)}\nexec ${
          quote(realSsh)
        } "$@"\n`,
        { mode: 0o755 },
      );
      const path = Deno.env.get("PATH") ?? "";
      const secret = `argv-canary-${crypto.randomUUID()}`;
      const content = `password: ${secret}\n`.repeat(200);
      const target = `/tmp/isa-argv-${crypto.randomUUID()}`;
      Deno.env.set("PATH", `${dir}:${path}`);
      try {
        debug.length = 0;
        await ssh.writeFile(target, content, { mode: 0o600 });
        assert.equal(await ssh.readFile(target), content, "the file was written");
      } finally {
        Deno.env.set("PATH", path);
      }
      try {
        const argv = await Deno.readTextFile(argvLog);
        assert.match(argv, /exec \/bin\/sh -s/, "the wrapper saw the engine's ssh calls");
        assert.ok(!argv.includes(secret), "the content is in no ssh argv");
        assert.ok(!argv.includes(btoa(content).slice(0, 40)), "nor its base64");
        assert.ok(!debug.join("\n").includes(secret), "nor in the verbose log");
      } finally {
        await ssh.run(`rm -f ${quote(target)}`);
        await Deno.remove(dir, { recursive: true });
      }
    });

    await t.step("a failing command is a RemoteError with its exit code and stderr", async () => {
      await assert.rejects(ssh.run("echo boom >&2; exit 7"), (e: Error) => {
        assert.ok(e instanceof RemoteError);
        assert.equal(e.code, 7);
        assert.match(e.stderr, /boom/);
        return true;
      });
      const r = await ssh.run("exit 3", { check: false });
      assert.equal(r.code, 3);
    });

    await t.step(
      "the Docker API reaches the host's engine as root, in sessions of the same master; a second socket too",
      async () => {
        // The host's engine must be there to answer: a lab host made fresh again has none until the docker
        // step runs (a no-op where it is installed).
        const docker = await cli("02_docker.ts", ["--inventory", info.inventory, "--limit", host.name]);
        assert.equal(docker.code, 0, docker.stdout + docker.stderr);
        const sock = await ssh.dockerSocketPath();
        assert.ok((await Deno.stat(sock)).isSocket);
        assert.equal(sock.slice(0, sock.lastIndexOf("/")), ssh.controlDir, "in our private control folder");
        // Through it, the host's engine answers: its ID is the one the host's own docker reports (the
        // controller's engine has another), its name the host's.
        const api = await $`curl -sS --max-time 10 --unix-socket ${sock} http://docker/info`
          .stdout("piped").stderr("piped").noThrow();
        assert.equal(api.code, 0, api.stderr);
        const engine = JSON.parse(api.stdout) as { ID: string; Name: string };
        assert.equal(engine.ID, (await ssh.run("docker info -f '{{.ID}}'")).stdout.trim());
        assert.equal(engine.Name, host.name);
        // The same connection: a Docker connection held open adds no TCP connection to the host's sshd.
        const g = await $`ssh -G ${ssh.sshArgs()} -- ${host.ssh.address}`.text();
        const dst = `${/^hostname (\S+)$/m.exec(g)![1]}:${/^port (\d+)$/m.exec(g)![1]}`;
        const tcp = async () =>
          (await $`ss -Htn state established dst ${dst}`.text()).split("\n").filter(Boolean).length;
        const before = await tcp();
        assert.ok(before >= 1, `the master's connection to ${dst}`);
        const held = await Deno.connect({ transport: "unix", path: sock });
        try {
          assert.equal(await dockerPing(sock), "OK");
          assert.equal(await tcp(), before, "Docker sessions ride the master: no new connection to the host");
        } finally {
          held.close();
        }
        // Another run in this process (a test file before this one, a task's second step) opens its own
        // socket once the first one is gone: it must get a live one, not a dead path.
        await ssh.close();
        assert.equal(await Deno.stat(sock).then(() => "present", () => "gone"), "gone", "close() removes it");
        const again = new Ssh(host);
        try {
          const second = await again.dockerSocketPath();
          assert.notEqual(second, sock);
          assert.equal(await dockerPing(second), "OK", "the second socket answers too");
        } finally {
          await again.close();
        }
      },
    );
  } finally {
    await ssh.close();
  }

  await t.step("an unreachable host is an UnreachableError naming it", async () => {
    const bad = new Ssh({ ...host, name: "ghost", ssh: { ...host.ssh, address: "127.0.10.250" } }, {
      connectTimeout: 2,
    });
    await assert.rejects(
      bad.open(),
      (e: Error) => e instanceof UnreachableError && /^ghost: /.test(e.message),
    );
  });
});
