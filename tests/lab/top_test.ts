/** `deno task top` on the lab: both hosts, all 11 states, busy read workers seen, a stopped endpoint shown in place. */
import * as assert from "node:assert/strict";
import $ from "dax";
import { join } from "node:path";
import { projectRoot } from "../../lib/inventory/load.ts";
import { STATES } from "../../lib/top/scoreboard.ts";
import { cli, lab, onHost } from "../helpers/lab.ts";

function hostBlock(frame: string, host: string): string {
  const lines = frame.split("\n");
  const i = lines.findIndex((l) => l.startsWith(host));
  assert.ok(i >= 0, `${host} in the frame:\n${frame}`);
  let j = i + 1;
  while (j < lines.length && lines[j].startsWith(" ")) j++;
  return lines.slice(i, j).join("\n");
}

Deno.test("top --once: every host with its 11 states and rates; read workers rise under slow requests; a stopped Prometheus shown in place", async (t) => {
  const info = await lab();
  const inv = info.inventory;
  const [h1, h2] = info.hosts.map((h) => h.name);
  const deploy = await cli("deploy.ts", ["--inventory", inv]);
  assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
  const verify = await cli("verify_metrics.ts", ["--inventory", inv, "--wait", "60s"]);
  assert.equal(verify.code, 0, verify.stdout);

  await t.step("one frame shows both hosts, all 11 states and a requests/s figure", async () => {
    let r = await cli("top.ts", ["--inventory", inv, "--once"]);
    // Rates need two scrapes since the (re)deploy: give them a few seconds.
    // (Off a terminal the frame is 80 columns wide: KB/S, MEAN and UPTIME are dropped, REQ/S stays.)
    for (let i = 0; i < 10 && !/\]\s+\d+\s+\d+\s+\d+\.\d{2}\s/.test(hostBlock(r.stdout, h2)); i++) {
      await new Promise((ok) => setTimeout(ok, 2000));
      r = await cli("top.ts", ["--inventory", inv, "--once"]);
    }
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(!r.stdout.includes("\x1b"), "no escape codes in --once");
    for (const h of [h1, h2]) {
      const block = hostBlock(r.stdout, h);
      for (const s of STATES) assert.match(block, new RegExp(`${s.state}=\\d+`), `${h} ${s.state}`);
      // HOST [bar] BUSY IDLE REQ/S KB/S: a number with two decimals for requests/s.
      assert.match(block, new RegExp(`^${h}\\s+\\[[^\\]]+\\]\\s+\\d+\\s+\\d+\\s+\\d+\\.\\d{2}\\s`), block);
    }
    const json = await cli("top.ts", ["--inventory", inv, "--json"]);
    assert.deepEqual(json.json.hosts.map((v: { host: string; state: string }) => [v.host, v.state]), [[
      h1,
      "ok",
    ], [h2, "ok"]]);
    assert.equal(typeof json.json.hosts[0].requestsPerS, "number");
  });

  await t.step(
    "after a minute of traffic, a sparkline of requests/s and busy workers per host; 80 columns hold",
    async () => {
      // Traffic on both hosts for a minute, so the range queries have points to draw (history comes from
      // Prometheus: it is there in the first frame, not only since top started).
      const until = Date.now() + 60_000;
      while (Date.now() < until) {
        await Promise.all(
          [h1, h2].map((h) => onHost(info, h, "curl -s -o /dev/null http://localhost/ || true")),
        );
        await new Promise((ok) => setTimeout(ok, 1000));
      }
      const r = await cli("top.ts", ["--inventory", inv, "--once"], { COLUMNS: "80" });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      for (const line of r.stdout.split("\n")) assert.ok([...line].length <= 80, `wider than 80: ${line}`);
      for (const h of [h1, h2]) {
        const block = hostBlock(r.stdout, h);
        const spark = /10m req\/s ([ ▁▂▃▄▅▆▇█]+) ≤(\d+\.\d) {2}busy ([ ▁▂▃▄▅▆▇█]+) ≤\d+/.exec(block);
        assert.ok(spark, `${h}: no sparkline\n${block}`);
        assert.ok(Number(spark[2]) > 0, `${h}: no request seen in the history\n${block}`);
        assert.match(spark[1], /[▂▃▄▅▆▇█]/, `${h}: a flat request sparkline\n${block}`);
      }
      const json = await cli("top.ts", ["--inventory", inv, "--json"]);
      for (const v of json.json.hosts) {
        assert.equal(v.history.requestsPerS.length, 30, v.host);
        assert.ok(v.history.requestsPerS.some((x: number | null) => x !== null && x > 0), v.host);
      }
    },
  );

  await t.step(
    "while verify-metrics --live holds slow requests open, a frame shows the read workers risen",
    async () => {
      const before = Number(
        /read=(\d+)/.exec(
          hostBlock((await cli("top.ts", ["--inventory", inv, "--once", "--limit", h1])).stdout, h1),
        )![1],
      );
      const live = $`deno run -A ${
        join(projectRoot, "tasks", "verify_metrics.ts")
      } --inventory ${inv} --limit ${h1} --live`
        .cwd(projectRoot).env({ NO_COLOR: "1" }).stdout("piped").stderr("piped").noThrow().spawn();
      let peak = before;
      let frame = "";
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && peak < before + 4) {
        frame = (await cli("top.ts", ["--inventory", inv, "--once", "--limit", h1])).stdout;
        peak = Math.max(peak, Number(/read=(\d+)/.exec(hostBlock(frame, h1))?.[1] ?? 0));
        await new Promise((ok) => setTimeout(ok, 1000));
      }
      const done = await live;
      assert.ok(peak >= before + 4, `read workers ${before} → ${peak}; last frame:\n${frame}`);
      assert.equal(done.code, 0, done.stdout);
      console.log(`read workers seen by top: ${before} → ${peak}`);
    },
  );

  await t.step("with one host's Prometheus stopped, its line says so and the other still shows", async () => {
    assert.equal((await onHost(info, h2, "docker stop prometheus")).code, 0);
    try {
      const r = await cli("top.ts", ["--inventory", inv, "--once"]);
      assert.equal(r.code, 4, r.stdout);
      assert.match(hostBlock(r.stdout, h2), new RegExp(`^${h2}\\s+UNREACHABLE: `));
      assert.match(hostBlock(r.stdout, h1), /idle=\d+/);
      assert.doesNotMatch(hostBlock(r.stdout, h1), /UNREACHABLE|STALE/);
    } finally {
      await onHost(info, h2, "docker start prometheus");
    }
  });
});
