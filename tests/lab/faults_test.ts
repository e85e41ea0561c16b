/**
 * Faults, on the real lab hosts: each one ends with "a re-run converges and nothing was lost".
 * isaqal09 and isaqal10 only; every fault is undone in a `finally`, so a failed step leaves the lab
 * usable for the next one and for the test files that follow.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { projectRoot } from "../../lib/inventory/load.ts";
import { loadInventory } from "../../lib/inventory/load.ts";
import { Ssh } from "../../lib/transport/ssh.ts";
import { MIN_FREE_MB } from "../../lib/steps/facts.ts";
import { deploySteps } from "../../lib/steps/mod.ts";
import { apacheGeneration, cli, type CliRun, lab, labVariant, onHost, resetHost } from "../helpers/lab.ts";
import { until } from "../helpers/until.ts";
import type { LabInfo } from "../../lib/lab/mod.ts";

const H9 = "isaqal09";
const H10 = "isaqal10";
// The lab inventory lists every lab host, and other hosts (isaqal11+) may belong to someone else's
// run: every command here is limited to our two.
const OURS = `${H9},${H10}`;
const CONF = "/etc/apache2/conf-available/EPFL_isa.conf";
/** Our Apache file on the RHEL-shaped isaqal10. */
const RHEL_CONF = "/etc/httpd/conf.d/EPFL_isa.conf";
const PROM = "/srv/isa/prometheus";

/** A CLI run whose output is read while it runs, in its own process group (as a terminal's job is). */
interface LiveRun {
  pid: number;
  /** Everything printed so far (stdout and stderr interleaved as read). */
  output: () => string;
  /** Resolves once the output matches `re` (fails after `timeoutMs`). */
  waitFor: (re: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  /** Ctrl-C: SIGINT to the whole process group (deno and its ssh children), as a terminal sends it. */
  interrupt: () => void;
  done: Promise<Pick<CliRun, "code" | "stdout" | "stderr">>;
}

function spawnCli(file: string, args: string[], env: Record<string, string> = {}): LiveRun {
  // setsid execs in place (the child is no group leader), so the pid is deno's and its group's.
  const child = new Deno.Command("setsid", {
    args: ["deno", "run", "-A", join(projectRoot, "tasks", file), ...args],
    cwd: projectRoot,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const pump = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    for await (const t of s.pipeThrough(new TextDecoderStream())) add(t);
  };
  const reading = Promise.all([
    pump(child.stdout, (t) => (out += t)),
    pump(child.stderr, (t) => (err += t)),
  ]);
  const done = (async () => {
    const st = await child.status;
    await reading;
    return { code: st.code, stdout: out, stderr: err };
  })();
  return {
    pid: child.pid,
    output: () => out + err,
    waitFor: async (re, timeoutMs = 60_000) => {
      try {
        return await until(
          `${re} in the output`,
          timeoutMs,
          () => Promise.resolve((out + err).match(re) ?? undefined),
          20,
        );
      } catch (e) {
        throw new Error(`${(e as Error).message}; output:\n${out}${err}`);
      }
    },
    interrupt: () => Deno.kill(-child.pid, "SIGINT"),
    done,
  };
}

/** The tool's own SSH engine for a lab host (its ControlPath, not ssh_config's), to cut its master. */
async function toolSsh(info: LabInfo, name: string): Promise<Ssh> {
  const host = (await loadInventory(info.inventory)).hosts.find((h) => h.name === name)!;
  return new Ssh(host);
}

async function sh(info: LabInfo, host: string, command: string): Promise<string> {
  return (await onHost(info, host, command)).out;
}

/** ID, start time and state of our containers on a host. */
function containers(info: LabInfo, host: string): Promise<string> {
  return sh(
    info,
    host,
    "docker inspect -f '{{.Name}} {{.Id}} {{.State.StartedAt}} running={{.State.Running}}' apache_exporter prometheus",
  );
}

/** What a cut-off run could leave: temp files of atomic writes, validation candidates, one-shots. */
function leftovers(info: LabInfo, host: string): Promise<string> {
  return sh(
    info,
    host,
    "find /etc /srv/isa /usr/local/sbin \\( -name '*.isa-tmp.*' -o -name '.*.candidate' \\) -print 2>/dev/null; " +
      "command -v docker >/dev/null && docker ps -a --filter name=isa-oneshot- --format '{{.Names}}'; true",
  );
}

/**
 * Apache's config file digest, main pid and generation: what "Apache untouched" means. Our file where
 * the host keeps it, the Debian host or the RHEL-shaped one ("" on a fresh host: none yet); the pid of
 * the host's own Apache service, never the 0 of a service it doesn't have, which would compare equal
 * whatever happened.
 */
async function apacheState(info: LabInfo, host: string) {
  const state = {
    conf: await sh(info, host, `sha256sum ${CONF} ${RHEL_CONF} 2>/dev/null; true`),
    ...await apacheGeneration(info, host),
  };
  assert.match(state.pid, /^[1-9]\d*$/, `${host}: Apache's main pid`);
  return state;
}

async function deploy(inv: string, host = OURS, env: Record<string, string> = {}): Promise<CliRun> {
  return await cli("deploy.ts", ["--inventory", inv, "--limit", host, "--json"], env);
}

function hostReport(r: CliRun, host: string) {
  assert.ok(r.json, `JSON expected: ${r.stdout}${r.stderr}`);
  return r.json.hosts.find((h: { host: string }) => h.host === host);
}

function failedStep(r: CliRun, host: string): { step: string; error: string } {
  const h = hostReport(r, host);
  const s = h.steps.find((s: { status: string }) => s.status === "failed");
  return s ? { step: s.step, error: s.error } : { step: "-", error: h.error ?? "" };
}

/** A re-run converges: exit 0, and for a host already deployed, no change at all. */
async function converges(inv: string, host: string, opts: { noChanges?: boolean } = {}): Promise<void> {
  const r = await deploy(inv, host);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  if (opts.noChanges) {
    const changes = hostReport(r, host).steps.flatMap((s: { changes: { summary: string }[] }) => s.changes);
    assert.deepEqual(changes, [], "nothing left to change");
  }
}

Deno.test("faults: clear errors, the rest untouched, and a re-run converges with nothing lost", async (t) => {
  let info = await lab();
  const inv = info.inventory;
  const first = await deploy(inv);
  assert.equal(first.code, 0, first.stdout + first.stderr);

  await t.step("one host unreachable: the other completes, recap says unreachable, exit 4", async () => {
    const before9 = await containers(info, H9);
    await onHost(info, H10, "true");
    await (await toolSsh(info, H10)).exit(); // the shared master would otherwise carry on for 60 s
    const stopped = await dockerCli(["exec", "isa-lab-isaqal10", "systemctl", "stop", "ssh"]);
    assert.equal(stopped, 0);
    try {
      const r = await cli("deploy.ts", ["--inventory", inv, "--limit", OURS]);
      assert.equal(r.code, 4, r.stdout + r.stderr);
      // The lab publishes port 22 through docker-proxy, which accepts and then drops the connection.
      assert.match(
        r.stdout,
        /^isaqal10\s+connect\s+unreachable: isaqal10: .*Connection (refused|closed|reset)/m,
      );
      assert.match(
        r.stdout,
        new RegExp(`^isaqal09\\s+ok\\s+ok=${deploySteps.length} changed=0 failed=0 unreachable=0`, "m"),
      );
      assert.match(r.stdout, /^isaqal10\s+unreachable\s+ok=0 changed=0 failed=0 unreachable=1/m);
    } finally {
      await dockerCli(["exec", "isa-lab-isaqal10", "systemctl", "start", "ssh"]);
    }
    assert.equal(await containers(info, H9), before9, "isaqal09's containers untouched");
    await converges(inv, H10, { noChanges: true });
  });

  await t.step(
    "two deploys at once on a host: one is refused with the holder, never both write",
    async () => {
      // One run has real work (a retention change recreates Prometheus), so whichever wins the lock
      // still holds it when the other asks.
      const slow = await labVariant(
        info,
        "faults-retention",
        (s) => s.replace("vars:\n", "vars:\n  retention_time: 14d\n"),
      );
      try {
        const runs = [
          spawnCli("deploy.ts", ["--inventory", slow, "--limit", H9]),
          spawnCli("deploy.ts", ["--inventory", inv, "--limit", H9]),
        ];
        const done = await Promise.all(runs.map((r) => r.done));
        const refused = done.findIndex((r) => r.code !== 0);
        assert.notEqual(refused, -1, `one run must be refused:\n${done.map((r) => r.stdout).join("\n")}`);
        const [lost, won] = [done[refused], done[1 - refused]];
        assert.equal(won.code, 0, won.stdout + won.stderr);
        assert.equal(lost.code, 2, lost.stdout + lost.stderr);
        assert.match(
          lost.stdout,
          new RegExp(
            `^isaqal09\\s+lock\\s+failed: another run holds this host's lock \\(\\S+@\\S+ pid ${
              runs[1 - refused].pid
            } since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\); try again when it ends$`,
            "m",
          ),
        );
        assert.doesNotMatch(lost.stdout, /→/, "the refused run planned and wrote nothing");
        assert.match(lost.stdout, /^isaqal09\s+failed\s+ok=0 changed=0 failed=1 unreachable=0/m);
      } finally {
        await Deno.remove(slow).catch(() => {});
      }
      await converges(inv, H9); // back to the lab's retention, whichever run won
      await converges(inv, H9, { noChanges: true });
    },
  );

  await t.step(
    "a Prometheus config promtool rejects is never put in place; Prometheus keeps running",
    async () => {
      const bad = await labVariant(
        info,
        "faults-promtool",
        (s) => s.replace("scrape_interval: 5s", "scrape_interval: 99999999999h"),
      );
      const yml = `sha256sum ${PROM}/prometheus.yml`;
      const before = {
        yml: await sh(info, H9, yml),
        c: await containers(info, H9),
        a: await apacheState(info, H9),
      };
      try {
        const r = await deploy(bad, H9);
        assert.equal(r.code, 2, r.stdout + r.stderr);
        const f = failedStep(r, H9);
        assert.equal(f.step, "prometheus");
        assert.match(f.error, /promtool check config rejected the new file \(left unchanged\)/);
        assert.match(f.error, /duration out of range/, "promtool's own reason is shown");
      } finally {
        await Deno.remove(bad).catch(() => {});
      }
      assert.equal(await sh(info, H9, yml), before.yml, "prometheus.yml not replaced");
      assert.equal(await containers(info, H9), before.c, "same Prometheus container, same start time");
      assert.deepEqual(await apacheState(info, H9), before.a);
      assert.equal(await leftovers(info, H9), "", "the rejected candidate is removed");
      await converges(inv, H9, { noChanges: true });
    },
  );

  await t.step(
    "Docker engine stopped, then unable to start: the engine's own reason, Apache untouched",
    async () => {
      const before = { c: await containers(info, H10), a: await apacheState(info, H10) };
      const daemon = await sh(info, H10, "cat /etc/docker/daemon.json");
      await sh(info, H10, "systemctl stop docker docker.socket");
      try {
        const alone = await cli("05_exporter.ts", ["--inventory", inv, "--limit", H10]);
        assert.equal(alone.code, 2);
        assert.match(alone.stdout, /Docker is not running on this host: run `deno task docker` first/);
        // An option the engine rejects: it won't start, and the deploy must say why.
        await sh(
          info,
          H10,
          `printf '%s\\n' '{"log-driver": "json-file", "bogus-option": true}' > /etc/docker/daemon.json`,
        );
        const r = await deploy(inv, H10);
        assert.equal(r.code, 2, r.stdout + r.stderr);
        const f = failedStep(r, H10);
        assert.equal(f.step, "docker");
        assert.match(f.error, /Docker did not start/);
        assert.match(f.error, /directives don't match any configuration option: bogus-option/);
        assert.deepEqual(await apacheState(info, H10), before.a, "the Apache step never ran");
      } finally {
        await onHost(info, H10, `cat > /etc/docker/daemon.json <<'EOF'\n${daemon}\nEOF`);
      }
      // The stopped engine listed no networks: the re-run must not create a second isa-monitoring.
      await converges(inv, H10);
      assert.equal(await sh(info, H10, "docker network ls -q --filter name=^isa-monitoring$ | wc -l"), "1");
      const after = await containers(info, H10);
      assert.equal(
        after.replace(/ \S+ running/g, " running"),
        before.c.replace(/ \S+ running/g, " running"),
        "same containers, running again",
      );
      assert.deepEqual(await apacheState(info, H10), before.a, "no Apache reload for a Docker restart");
      await converges(inv, H10, { noChanges: true });
    },
  );

  await t.step(
    "port 8443 held by another process: the error names it; the exporter and Apache untouched",
    async () => {
      const exporter = () => sh(info, H10, "docker inspect -f '{{.Id}} {{.State.Running}}' apache_exporter");
      const before = { e: await exporter(), a: await apacheState(info, H10) };
      const data = `ls ${PROM}/data | grep -c . || true`;
      const dataBefore = Number(await sh(info, H10, data));
      assert.ok(dataBefore > 0, "Prometheus has data");
      await sh(info, H10, "docker rm -f prometheus >/dev/null");
      // docker-proxy lets go of the port a moment after the container is gone: the squatter retries.
      const pid = await sh(
        info,
        H10,
        `setsid perl -MIO::Socket::INET -e '$0 = "port-squatter"; ` +
          "my $s; select(undef, undef, undef, 0.1) until $s = IO::Socket::INET->new(LocalPort => 8443, Listen => 5, ReuseAddr => 1); " +
          "sleep 600' </dev/null >/dev/null 2>&1 & echo $!",
      );
      try {
        await until(
          "the squatter on port 8443",
          15_000,
          async () =>
            /port-squatter/.test(await sh(info, H10, "ss -Htlnp 'sport = :8443'")) ? true : undefined,
          100,
        );
        const r = await deploy(inv, H10);
        assert.equal(r.code, 2, r.stdout + r.stderr);
        const f = failedStep(r, H10);
        assert.equal(f.step, "prometheus");
        assert.match(
          f.error,
          new RegExp(`port 8443 is already taken on the host by port-squatter \\(pid ${pid}\\)`),
        );
        assert.equal(await exporter(), before.e, "the exporter still runs, same container");
        assert.deepEqual(await apacheState(info, H10), before.a);
      } finally {
        await sh(info, H10, `kill ${pid}`);
      }
      await until(
        "port 8443 free again",
        15_000,
        async () => (await sh(info, H10, "ss -Htln 'sport = :8443'")) === "" ? true : undefined,
        100,
      );
      await converges(inv, H10);
      assert.match(await sh(info, H10, "docker inspect -f '{{.State.Running}}' prometheus"), /^true$/);
      assert.ok(Number(await sh(info, H10, data)) >= dataBefore, "Prometheus' data kept");
      await converges(inv, H10, { noChanges: true });
    },
  );

  await t.step("disk nearly full under the install path: refused before any change", async () => {
    const before = { c: await containers(info, H10), a: await apacheState(info, H10) };
    await sh(
      info,
      H10,
      "mount -t tmpfs -o size=5m isa-faults-full /srv/isa && dd if=/dev/zero of=/srv/isa/fill bs=1M count=8 2>/dev/null; true",
    );
    try {
      assert.match(await sh(info, H10, "findmnt -n -o SOURCE /srv/isa"), /isa-faults-full/);
      const r = await deploy(inv, H10);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      const f = failedStep(r, H10);
      assert.equal(f.step, "facts");
      assert.match(f.error, new RegExp(`^only [0-4] MiB free under /srv/isa, need ${MIN_FREE_MB}\\b`));
      assert.equal(await sh(info, H10, "ls -A /srv/isa"), "fill", "nothing written there");
    } finally {
      await sh(info, H10, "umount /srv/isa");
    }
    assert.equal(await containers(info, H10), before.c, "containers untouched");
    assert.deepEqual(await apacheState(info, H10), before.a);
    await converges(inv, H10, { noChanges: true });
  });

  await t.step(
    "Ctrl-C in the middle of writing Prometheus' files: exit 130, no half-written file",
    async () => {
      // Files the next run must write again, each through a candidate checked by promtool.
      await sh(info, H9, `rm -f ${PROM}/web.yml ${PROM}/alerts.yml`);
      const run = spawnCli("deploy.ts", ["--inventory", inv, "--limit", H9]);
      await run.waitFor(/→ create \/srv\/isa\/prometheus\/web\.yml/);
      run.interrupt();
      const r = await run.done;
      assert.equal(r.code, 130, run.output());
      assert.match(
        r.stderr,
        /interrupted: deploy stopped; no file is half-written; run it again to finish the job/,
      );
      assert.doesNotMatch(r.stdout, /RECAP/, "stopped at once");
      // Whatever the moment the signal landed, each file is absent or whole (rename is atomic).
      const files = await sh(
        info,
        H9,
        `for f in ${PROM}/*.yml; do printf '%s %s\\n' "$f" "$(tail -c1 "$f" | od -An -c | tr -d ' ')"; done`,
      );
      for (const l of files.split("\n")) assert.match(l, /\.yml \\n$/, `complete file: ${l}`);
      // The lock died with the session: the next run is not refused, and finishes the job.
      await converges(inv, H9);
      assert.equal(await leftovers(info, H9), "", "temp files, candidates and one-shot containers cleaned");
      assert.match(
        await sh(info, H9, `test -s ${PROM}/web.yml && test -s ${PROM}/alerts.yml && echo whole`),
        /^whole$/,
      );
      await converges(inv, H9, { noChanges: true });
    },
  );

  await t.step(
    "fresh host: package manager locked (holder named, wait observable), then SSH cut mid-install",
    async () => {
      // A Debian host: the apt lock and a Docker install from the distribution (isaqal10 is RHEL-shaped,
      // with Docker preinstalled).
      await (await toolSsh(info, H9)).exit();
      info = await resetHost(info, H9);
      await onHost(
        info,
        H9,
        `cat > /tmp/isa-hold.pl <<'EOF'
use Fcntl; $0 = "apt-lock-holder"; $| = 1;
open(my $f, ">>", "/var/lib/dpkg/lock-frontend") or die "open: $!";
my $lk = pack("s s x4 q q l x4", F_WRLCK, 0, 0, 0, 0); # struct flock; fcntl writes into it
fcntl($f, F_SETLK, $lk) or die "lock: $!";
print "$$\\n"; sleep 600;
EOF`,
      );
      const hold = async () => {
        const pid = await sh(
          info,
          H9,
          // It prints its pid once it holds the lock (or why it could not).
          "setsid perl /tmp/isa-hold.pl </dev/null >/tmp/isa-hold.out 2>&1 & " +
            "i=0; until [ -s /tmp/isa-hold.out ]; do i=$((i+1)); [ $i -lt 100 ] || break; sleep 0.1; done; " +
            "cat /tmp/isa-hold.out",
        );
        assert.match(pid, /^\d+$/, `lock holder started: ${pid}`);
        return pid;
      };
      const apache = await apacheState(info, H9);
      let pid = await hold();
      let run: LiveRun | undefined;
      let finished = false;
      try {
        const r = await deploy(inv, H9, { ISA_PACKAGE_LOCK_WAIT: "4" });
        assert.equal(r.code, 2, r.stdout + r.stderr);
        const f = failedStep(r, H9);
        assert.equal(f.step, "docker");
        assert.match(
          f.error,
          new RegExp(
            `the package manager is busy: pid ${pid} \\(apt-lock-holder\\) holds /var/lib/dpkg/lock-frontend \\(waited [4-9] s\\); Docker was not installed`,
          ),
        );
        assert.equal(
          (await onHost(info, H9, "command -v dockerd || echo no-dockerd")).out,
          "no-dockerd",
          "nothing installed",
        );
        assert.deepEqual(await apacheState(info, H9), apache, "the Apache step never ran");

        // Default wait: the run says who it waits for, and goes on once the holder is gone.
        const live = spawnCli("deploy.ts", ["--inventory", inv, "--limit", H9]);
        run = live;
        await live.waitFor(
          new RegExp(`waiting for the package manager: pid ${pid} \\(apt-lock-holder\\)`),
          90_000,
        );
        await sh(info, H9, `kill ${pid}`);
        pid = "";
        // Cut the connection while apt/dpkg works on the host.
        await until(
          "apt-get or dpkg running on the host",
          60_000,
          async () =>
            (await dockerCli(["exec", "isa-lab-isaqal09", "pgrep", "-x", "apt-get|dpkg"])) === 0
              ? true
              : undefined,
          50,
        )
          .catch((e) => {
            throw new Error(`${e.message}; output:\n${live.output()}`);
          });
        await (await toolSsh(info, H9)).exit();
        const cut = await live.done;
        finished = true;
        assert.equal(cut.code, 4, live.output());
        assert.match(cut.stdout, /^isaqal09\s+docker\s+unreachable: isaqal09: /m);
        assert.match(cut.stdout, /^isaqal09\s+unreachable\s+ok=\d+ changed=\d+ failed=0 unreachable=1/m);
      } finally {
        // A failed assertion must not leave that deploy running into the next tests.
        if (run && !finished) {
          try {
            Deno.kill(-run.pid, "SIGKILL");
          } catch { /* already gone */ }
          await run.done;
        }
        await sh(info, H9, `${pid ? `kill ${pid}; ` : ""}rm -f /tmp/isa-hold.pl /tmp/isa-hold.out`);
      }
      // The next run finishes the job (waiting for an apt still running, repairing a cut dpkg).
      await converges(inv, H9);
      assert.equal(await sh(info, H9, "systemctl is-active docker"), "active");
      assert.equal(await leftovers(info, H9), "");
      await converges(inv, H9, { noChanges: true });
    },
  );

  await t.step("after all faults the lab converges and the metrics arrive", async () => {
    const r = await cli("deploy.ts", ["--inventory", inv, "--limit", OURS]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const h of [H9, H10]) {
      assert.match(
        r.stdout,
        new RegExp(`^${h}\\s+(ok|changed)\\s+ok=\\d+ changed=\\d+ failed=0 unreachable=0`, "m"),
      );
    }
    const v = await cli("verify_metrics.ts", ["--inventory", inv, "--limit", OURS, "--wait", "60s"]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    for (const h of [H9, H10]) assert.match(v.stdout, new RegExp(`^${h} ok `, "m"), v.stdout);
    // Every check of both hosts ✓, the scoreboard through the HTTPS endpoint among them.
    assert.equal(v.stdout.match(/^ {2}✓ [1-6]\. /gm)?.length, 12, v.stdout);
    assert.doesNotMatch(v.stdout, /^ {2}✗ /m);
    assert.match(v.stdout, /^2\/2 host\(s\) verified in /m);
  });
});

/** Runs the controller's `docker` with args; returns the exit code. */
async function dockerCli(args: string[]): Promise<number> {
  const r = await new Deno.Command("docker", { args, stdout: "null", stderr: "null" }).output();
  return r.code;
}
