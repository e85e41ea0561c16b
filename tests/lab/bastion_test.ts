/**
 * Issue 13, item 8 and issue 22, item 4: the access path operators use, onto a fresh host. The lab host
 * is made fresh first (no Docker engine, so no `docker` group either) and reached only through the
 * bastion (ProxyJump), logged in as a non-root user with password-less sudo; deploy (the engine's
 * install included), verify-metrics, a no-op re-run, status and uninstall all go that way, the Docker API
 * (sudo `docker system dial-stdio` over the same master) included.
 *
 * On the Debian host: the RHEL-shaped one is refused at the Apache step until the tool runs httpd itself
 * there (issue 13, item 1); the access path is the same on both.
 */
import assert from "node:assert/strict";
import $ from "dax";
import { bastionVariant, cli, lab, onHost, resetHost } from "../helpers/lab.ts";

const HOST = "isaqal09";

/** The recap line of a run that ended well on the host: nothing failed, nothing unreachable. */
const RECAP_DONE = new RegExp(`^${HOST}\\s+(ok|changed)\\s+ok=\\d+ changed=\\d+ failed=0 unreachable=0`, "m");

/** `ssh` with the lab's config and extra arguments; exit code and merged output. */
async function ssh(sshConfig: string, args: string[]) {
  const r = await $`ssh -F ${sshConfig} -o BatchMode=yes -o ConnectTimeout=5 ${args}`
    .stdin("null").captureCombined().quiet().noThrow();
  return { code: r.code, out: r.combined.trim() };
}

/** Lines of the host's sshd journal since `since` that accepted the ops user (from which address). */
async function acceptedFrom(info: Awaited<ReturnType<typeof lab>>, since: string): Promise<string[]> {
  const r = await onHost(
    info,
    HOST,
    `journalctl -u ssh --since '${since}' -o cat | grep 'Accepted publickey for ${info.opsUser} from' || true`,
  );
  return r.out.split("\n").filter(Boolean).map((l) => / from (\S+) /.exec(l)?.[1] ?? l);
}

Deno.test("a fresh host, through the bastion as a non-root sudo user: deploy, verify-metrics, no-op re-run, status, uninstall", async (t) => {
  const info = await resetHost(await lab(), HOST);
  const host = info.hosts.find((h) => h.name === HOST)!;
  const user = info.opsUser;
  const start = (await onHost(info, HOST, "date '+%Y-%m-%d %H:%M:%S'")).out;

  await t.step(
    "the host admits the ops user only through the bastion; sudo without password; no docker group",
    async () => {
      // The host's alias gives the lab's key and known_hosts; -l makes it the ops user: sshd says no.
      const direct = await ssh(info.sshConfig, ["-l", user, host.name, "true"]);
      assert.notEqual(direct.code, 0, "direct to the published port: refused");
      assert.match(direct.out, /Permission denied/);
      const overNetwork = await ssh(info.sshConfig, ["-l", user, host.networkAddress, "true"]);
      assert.notEqual(overNetwork.code, 0, "direct to the lab-network address: refused");
      assert.match(overNetwork.out, /Permission denied/);
      const jumped = await ssh(info.sshConfig, [
        "-J",
        info.bastion.alias,
        "-l",
        user,
        host.networkAddress,
        "id -un; id -nG; sudo -n id -u",
      ]);
      assert.equal(jumped.code, 0, jumped.out);
      const [name, groups, sudoUid] = jumped.out.split("\n");
      assert.equal(name, user);
      assert.ok(
        !groups.split(" ").includes("docker"),
        `the Docker API must not need the docker group: ${groups}`,
      );
      assert.equal(sudoUid, "0");
      // Fresh: no engine, and so no docker group for anyone to be in.
      const fresh = await onHost(
        info,
        HOST,
        "command -v dockerd || echo none; getent group docker || echo none",
      );
      assert.equal(fresh.out, "none\nnone", `the host starts without Docker: ${fresh.out}`);
      const shell = await ssh(info.sshConfig, [info.bastion.alias, "true"]);
      assert.notEqual(shell.code, 0, "the bastion's user gets no shell");
      // Its login shell is nologin (lib/lab/access.ts), which says so: not any other failure.
      assert.match(shell.out, /This account is currently not available/);
      const listening = await $`docker exec isa-lab-bastion ss -Hltn`.text();
      // 127.0.0.11 is Docker's embedded DNS resolver, inside every container on a user network.
      const ports = [
        ...new Set(
          listening.split("\n").map((l) => l.split(/\s+/)[3]).filter((a) => a && !a.startsWith("127.0.0.11:"))
            .map((a) => a.split(":").pop()),
        ),
      ];
      assert.deepEqual(ports, ["22"], `the bastion listens on sshd's port only: ${listening}`);
    },
  );

  const inv = await bastionVariant(info, HOST);
  const run = (file: string, extra: string[] = []) =>
    cli(file, ["--inventory", inv, "--limit", HOST, ...extra]);
  try {
    await t.step("full deploy through the bastion, the engine's install included", async () => {
      const r = await run("deploy.ts");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, RECAP_DONE, r.stdout);
      assert.match(r.stdout, /→ install docker\.io from /, r.stdout);
      // Pulled from the registry under the production names, with the lab registry's login.
      assert.match(r.stdout, /→ pull image quay\.io\/prometheus\/prometheus:/, r.stdout);
    });

    await t.step("verify-metrics: every check passes", async () => {
      const r = await run("verify_metrics.ts", ["--wait", "90s"]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`^${HOST} ok `, "m"), r.stdout);
      assert.deepEqual(
        r.stdout.match(/^ {2}✓ \d+\. /gm)?.map((l) => l.trim()),
        [1, 2, 3, 4, 5, 6].map((i) => `✓ ${i}.`),
      );
      assert.match(r.stdout, /^1\/1 host\(s\) verified in /m);
    });

    await t.step("a re-run changes nothing", async () => {
      const r = await run("deploy.ts", ["--json"]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const steps = r.json.hosts[0].steps as { step: string; status: string }[];
      assert.ok(steps.length >= 6, JSON.stringify(steps));
      assert.deepEqual(steps.filter((s) => s.status !== "ok"), [], "every step ok, none changed");
    });

    await t.step("status reads the host the same way", async () => {
      const r = await run("status.ts");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`^${HOST} ok, as deployed$`, "m"), r.stdout);
      assert.match(r.stdout, /^ {2}apache_exporter\s+running\s/m);
      assert.match(r.stdout, /^ {2}prometheus\s+running\s/m);
      assert.match(r.stdout, /^ {2}drift: no drift$/m);
    });

    await t.step("every session came through the bastion, as the ops user", async () => {
      const from = await acceptedFrom(info, start);
      assert.ok(from.length > 0, "the ops user logged in");
      assert.deepEqual([...new Set(from)], [info.bastion.address]);
    });

    await t.step("uninstall through the bastion, then deploy again", async () => {
      const u = await run("uninstall.ts");
      assert.equal(u.code, 0, u.stdout + u.stderr);
      for (const name of ["apache_exporter", "prometheus"]) {
        assert.match(u.stdout, new RegExp(`→ remove container ${name} \\(running\\)$`, "m"), u.stdout);
      }
      assert.match(
        u.stdout,
        new RegExp(`^${HOST}\\s+changed\\s+ok=\\d+ changed=\\d+ failed=0 unreachable=0`, "m"),
      );
      const left = await onHost(info, HOST, "docker ps -aq --filter label=ch.epfl.isa.managed | wc -l");
      assert.equal(left.out, "0", "no managed container left");
      const d = await run("deploy.ts");
      assert.equal(d.code, 0, d.stdout + d.stderr);
      for (const name of ["apache_exporter", "prometheus"]) {
        assert.match(d.stdout, new RegExp(`→ create and start container ${name}\\b`), d.stdout);
      }
      assert.match(
        d.stdout,
        new RegExp(`^${HOST}\\s+changed\\s+ok=\\d+ changed=\\d+ failed=0 unreachable=0`, "m"),
      );
    });
  } finally {
    await Deno.remove(inv).catch(() => {});
  }
});
