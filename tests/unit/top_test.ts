import { deepEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { barCells, busyWorkers, STATES } from "../../lib/top/scoreboard.ts";
import { lastRate, meanResponseMs, rate } from "../../lib/top/rates.ts";
import { downView, hostView, type MatrixSeries } from "../../lib/top/view.ts";
import { duration, renderFrame } from "../../lib/top/frame.ts";
import { topExitCode } from "../../lib/top/task.ts";
import { alertsQuery, seriesQuery } from "../../lib/top/source.ts";

Deno.test("scoreboard: the 11 states with mod_status' characters, in its legend order", () => {
  assertEquals(STATES.map((s) => s.char).join(""), "_SRWKDCLGI.");
  assertEquals(STATES.length, 11);
});

Deno.test("bar: cells in proportion, one at least for any present state, width kept", () => {
  const cells = barCells({ idle: 50, read: 1, open_slot: 349 }, 40);
  assertEquals(cells.length, 40);
  const s = cells.map((c) => c.char).join("");
  assertMatch(s, /^_+R\.+$/);
  assertEquals(s.split("").filter((c) => c === "R").length, 1);
  assert(s.split("").filter((c) => c === ".").length > s.split("").filter((c) => c === "_").length);
  assertEquals(barCells({}, 40), []);
  assertEquals(busyWorkers({ idle: 5, read: 2, reply: 1, keepalive: 3, open_slot: 100 }), 6);
});

Deno.test("rates from two samples; a counter reset counts from zero", () => {
  assertEquals(rate([100, 10], [105, 60]), 10);
  assertEquals(rate([100, 500], [110, 20]), 2); // Apache restarted: 20 since then
  assertEquals(rate([100, 1], [100, 2]), null);
  assertEquals(lastRate([[1, 0], [6, 5], [11, 30]]), 5);
  assertEquals(lastRate([[1, 0]]), null);
  assertEquals(meanResponseMs([[0, 1000], [5, 1600]], [[0, 10], [5, 13]]), 200);
  assertEquals(meanResponseMs([[0, 1000], [5, 1000]], [[0, 10], [5, 10]]), null);
});

function series(now: number, read: number): MatrixSeries[] {
  const t = [now - 10, now - 5];
  const board = (state: string, v: number): MatrixSeries => ({
    metric: { __name__: "apache_scoreboard", state, instance: "web1" },
    values: t.map((x) => [x, String(v)]),
  });
  return [
    ...STATES.map((s) =>
      board(s.state, s.state === "read" ? read : s.state === "idle" ? 20 : s.state === "open_slot" ? 100 : 0)
    ),
    { metric: { __name__: "apache_accesses_total" }, values: [[t[0], "1000"], [t[1], "1050"]] },
    { metric: { __name__: "apache_sent_kilobytes_total" }, values: [[t[0], "200"], [t[1], "225"]] },
    { metric: { __name__: "apache_duration_ms_total" }, values: [[t[0], "9000"], [t[1], "9500"]] },
    { metric: { __name__: "apache_uptime_seconds_total" }, values: [[t[1], "93784"]] },
    { metric: { __name__: "apache_workers", state: "busy" }, values: [[t[1], String(read + 1)]] },
    { metric: { __name__: "apache_workers", state: "idle" }, values: [[t[1], "20"]] },
    { metric: { __name__: "apache_up" }, values: [[t[1], "1"]] },
  ];
}

Deno.test("host view: figures from raw samples, stale when the newest sample is old", () => {
  const now = 1_700_000_000;
  const v = hostView("web1", series(now, 8), [{ metric: { alertname: "ApacheDown" } }], now, 20);
  assertEquals(v.state, "ok");
  assertEquals(v.scoreboard.read, 8);
  assertEquals(v.requestsPerS, 10);
  assertEquals(v.kBPerS, 5);
  assertEquals(v.meanMs, 10);
  assertEquals(v.busy, 9);
  assertEquals(v.uptimeS, 93784);
  assertEquals(v.alerts, ["ApacheDown"]);
  const old = hostView("web1", series(now - 100, 8), [], now, 20);
  assertEquals(old.state, "stale");
  assertMatch(old.reason!, /105s ago/);
  assertEquals(hostView("web1", [], [], now, 20).state, "stale");
});

Deno.test("frame: --once text has every host, all 11 state counts, rates; no escape codes", () => {
  const now = 1_700_000_000;
  const views = [hostView("web1", series(now, 8), [], now, 20), downView("web2", "connection refused")];
  const f = renderFrame(views, { colour: false, barWidth: 30, title: "t" });
  assert(!f.includes("\x1b"));
  for (const s of STATES) {
    assert(new RegExp(`(^| )${RegExp.escape(s.char)}:${s.state}=\\d+`, "m").test(f), s.state);
  }
  assertMatch(f, /read=8/);
  assertMatch(f, /web1\s+\[[_R.]+\]\s+9\s+20\s+10\.00\s+5\.0\s+10ms\s+1d2h\s+none/);
  assertMatch(f, /web2\s+UNREACHABLE: connection refused/);
  const c = renderFrame(views, { colour: true, barWidth: 30, title: "t" });
  assert(c.includes("\x1b[33;1mR"));
  // A host name or reason cannot drive the terminal.
  const evil = renderFrame([downView("x", "\x1b[2Jboom")], { colour: false, barWidth: 10, title: "t" });
  assert(!evil.includes("\x1b"));
});

Deno.test("duration, exit code of top, the queries", () => {
  assertEquals(duration(42), "42s");
  assertEquals(duration(3 * 3600 + 5 * 60), "3h05m");
  assertEquals(duration(null), "-");
  const now = 1_700_000_000;
  assertEquals(topExitCode([hostView("a", series(now, 1), [], now, 20)]), 0);
  assertEquals(topExitCode([downView("a", "x")]), 4);
  assertEquals(topExitCode([hostView("a", [], [], now, 20), downView("b", "x")]), 6);
  assertMatch(seriesQuery("web1", 60), /instance="web1"\}\[60s\]$/);
  assertMatch(alertsQuery("web1", true), /host="web1"/);
  assert(!alertsQuery("web1", false).includes("host="));
  for (const central of [true, false]) assertMatch(alertsQuery("web1", central), /severity!="heartbeat"/);
});

Deno.test("graph link: the scoreboard expression, encoded so the classic UI's parser reads it back", async () => {
  const { graphUrl, scoreboardExpr } = await import("../../lib/top/graph_link.ts");
  const url = graphUrl("https://127.0.10.9:8443", scoreboardExpr("isaqal09"), "classic");
  assert(url.startsWith("https://127.0.10.9:8443/classic/graph?g0.expr="));
  // index.js splits each parameter on '=' and decodes the second part: no raw '=' or '&' may remain.
  const params = new URL(url).search.slice(1).split("&").map((p) => p.split("="));
  assert(params.every((p) => p.length === 2));
  const expr = decodeURIComponent(params.find((p) => p[0] === "g0.expr")![1].replace(/\+/g, " "));
  assertEquals(expr, 'apache_scoreboard{instance="isaqal09"}');
  assertEquals(params.find((p) => p[0] === "g0.tab")![1], "0");
  assertMatch(graphUrl("https://h:1", "up", "v3"), /\/query\?g0\.expr=up&g0\.tab=graph/);
});
