import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, lab, onHost } from "../helpers/lab.ts";

const HOST = "isaqal09";

type Verdict = {
  host: string;
  status: string;
  checks: { id: number; ok: boolean; evidence: string; cause?: string }[];
};

async function verify(inventory: string, extra: string[] = [], env: Record<string, string> = {}) {
  const r = await cli("verify_metrics.ts", ["--inventory", inventory, "--json", ...extra], env);
  assert.ok(r.json, `verify-metrics printed JSON: ${r.stdout}${r.stderr}`);
  return { code: r.code, hosts: r.json.hosts as Verdict[] };
}

function failing(v: Verdict): number[] {
  return v.checks.filter((c) => !c.ok).map((c) => c.id);
}

Deno.test("verify-metrics proves the scoreboard end to end, and names what breaks", async (t) => {
  const info = await lab();
  const inv = info.inventory;
  const deploy = async () => {
    const r = await cli("deploy.ts", ["--inventory", inv]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  };
  await deploy();

  await t.step("after a deploy every check is ✓ on every lab host", async () => {
    const { code, hosts } = await verify(inv, ["--wait", "90s"]);
    assert.equal(code, 0, JSON.stringify(hosts, null, 1));
    assert.deepEqual(hosts.map((h) => h.host), info.hosts.map((h) => h.name));
    for (const h of hosts) {
      assert.deepEqual(h.checks.map((c) => c.id), [1, 2, 3, 4, 5, 6]);
      assert.ok(h.checks.every((c) => c.ok), JSON.stringify(h.checks));
    }
    const human = await cli("verify_metrics.ts", ["--inventory", inv, "--limit", HOST]);
    assert.match(human.stdout, /✓ 1\. Apache \/server-status\?auto on the host: Scoreboard of \d+ slots/);
    assert.match(human.stdout, /✓ 4\. apache_scoreboard\{instance="isaqal09"\} through https/);
  });

  await t.step("--live: slow requests show up as busy workers in Prometheus, then fall back", async () => {
    const { code, hosts } = await verify(inv, ["--limit", HOST, "--live"]);
    const live = hosts[0].checks.find((c) => c.id === 7)!;
    assert.equal(code, 0, JSON.stringify(live));
    assert.equal(live.ok, true, JSON.stringify(live));
    // Read workers as Prometheus saw them: before, at the peak with 8 slow connections open, and after
    // they were closed. The rise (at least half of them) and the fall (back to at most one above
    // before) are read from the numbers, not from the check's own verdict.
    const m = /^read workers: (\d+) → (\d+) → (\d+) \(8 slow connections\)$/.exec(live.evidence);
    assert.ok(m, live.evidence);
    const [before, peak, after] = m.slice(1).map(Number);
    assert.ok(peak >= before + 4, `rose: ${live.evidence}`);
    assert.ok(after <= before + 1, `fell back: ${live.evidence}`);
    // And on the host itself, Apache holds none of the slow connections any more: they were closed.
    const board = (await onHost(
      info,
      HOST,
      "curl -s 'http://localhost/server-status?auto' | sed -n 's/^Scoreboard: //p'",
    )).out;
    assert.match(board, /^[_.A-Z]+$/, "Apache's scoreboard");
    const reading = [...board].filter((c) => c === "R").length;
    assert.ok(reading <= before + 1, `read workers on the host now: ${reading} (${board})`);
  });

  await t.step("exporter stopped → check 2 fails with its cause, exit 2", async () => {
    await onHost(info, HOST, "docker stop apache_exporter >/dev/null");
    const { code, hosts } = await verify(inv, ["--limit", HOST]);
    assert.equal(code, 2);
    assert.ok(failing(hosts[0]).includes(2));
    assert.match(hosts[0].checks[1].evidence, /apache_exporter is not running/);
    await deploy();
  });

  await t.step("Apache block removed → check 1 fails", async () => {
    await onHost(info, HOST, "a2disconf -q EPFL_isa && systemctl reload apache2");
    const { code, hosts } = await verify(inv, ["--limit", HOST]);
    assert.equal(code, 2);
    assert.ok(failing(hosts[0]).includes(1));
    assert.match(hosts[0].checks[0].cause!, /block is missing/);
    await deploy();
  });

  await t.step("Prometheus stopped → checks 3 and 4 fail", async () => {
    await onHost(info, HOST, "docker stop prometheus >/dev/null");
    const { code, hosts } = await verify(inv, ["--limit", HOST]);
    assert.equal(code, 2);
    assert.deepEqual(failing(hosts[0]).filter((id) => id === 3 || id === 4), [3, 4]);
    assert.match(hosts[0].checks[2].cause!, /prometheus container is stopped/);
    await deploy();
  });

  await t.step(
    "password changed in the secrets but not deployed → check 4 names the credentials",
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "isa-secrets-" });
      const file = join(dir, "secrets.yml");
      await Deno.writeTextFile(
        file,
        "frontend:\n  credentials:\n    - user: isa\n      pass: not-the-deployed-one\n",
        { mode: 0o600 },
      );
      try {
        const { code, hosts } = await verify(inv, ["--limit", HOST], { ISA_SECRETS_FILE: file });
        assert.equal(code, 2);
        const c4 = hosts[0].checks[3];
        assert.equal(c4.ok, false);
        assert.match(c4.cause!, /credentials in the secrets are not the deployed ones/);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );

  await t.step(
    "status after uninstall shows nothing of ours; data stays; deploy brings it back",
    async () => {
      const u = await cli("uninstall.ts", ["--inventory", inv, "--limit", HOST]);
      assert.equal(u.code, 0, u.stdout + u.stderr);
      const again = await cli("uninstall.ts", ["--inventory", inv, "--limit", HOST, "--json"]);
      assert.equal(again.json.hosts[0].status, "ok", "uninstall twice: nothing left to do");
      const s = await cli("status.ts", ["--inventory", inv, "--limit", HOST]);
      assert.match(s.stdout, /containers: none of ours/);
      assert.match(s.stdout, /apache block: absent/);
      assert.equal((await onHost(info, HOST, "test -d /srv/isa/prometheus/data && echo kept")).out, "kept");
      assert.equal(
        (await onHost(
          info,
          HOST,
          "nft list table inet isa_monitoring >/dev/null 2>&1 && echo table || echo none",
        ))
          .out,
        "none",
      );
      assert.match(
        (await onHost(info, HOST, "curl -s -o /dev/null -w '%{http_code}' http://localhost/")).out,
        /^200$/,
      );
      await deploy();
      const { code } = await verify(inv, ["--limit", HOST, "--wait", "60s"]);
      assert.equal(code, 0);
      const st = await cli("status.ts", ["--inventory", inv, "--limit", HOST]);
      assert.match(st.stdout, /^isaqal09 .*as deployed$/m);
      assert.match(st.stdout, /prometheus\s+running/);
    },
  );
});
