/** `top`'s history: the range queries, their matrix parsed into points, sparklines, and a frame that fits. */
import assert from "node:assert/strict";
import { HISTORY, historyQueries, historyRange, pointsOf, sparkline } from "../../lib/top/history.ts";
import { clip, renderFrame, visible } from "../../lib/top/frame.ts";
import { columns } from "../../lib/top/task.ts";
import { downView, hostView, type MatrixSeries } from "../../lib/top/view.ts";
import { STATES } from "../../lib/top/scoreboard.ts";

Deno.test("sparkline: eighths of the largest value, the lowest block for zero, a space for no value", () => {
  assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7, 8], 9), "▁▁▂▃▄▅▆▇█");
  assert.equal(sparkline([null, 0, 4, 8], 4), " ▁▄█");
  assert.equal(sparkline([0, 0, 0], 3), "▁▁▁");
  // Narrower: the newest values; wider: padded on the left (the past we have no point for).
  assert.equal(sparkline([8, 8, 0, 8], 2), "▁█");
  assert.equal(sparkline([8], 3), "  █");
});

Deno.test("history: the range queries and a range aligned to the step", () => {
  assert.deepEqual(historyQueries("web1", 60), {
    requestsPerS: 'sum(rate(apache_accesses_total{instance="web1"}[60s]))',
    busy: 'sum(apache_workers{instance="web1",state="busy"})',
  });
  const r = historyRange(1_700_000_013.7);
  assert.equal(r.end, 1_700_000_000);
  assert.equal(r.stepS, HISTORY.stepS);
  assert.equal((r.end - r.start) / r.stepS + 1, HISTORY.points);
});

Deno.test("history: a range query's matrix becomes one value per step, gaps and NaN as null", () => {
  // As /api/v1/query_range answers (resultType "matrix"), two series summed step by step.
  const body = JSON.parse(`{"status":"success","data":{"resultType":"matrix","result":[
    {"metric":{"state":"busy"},"values":[[1000,"1"],[1020,"2"],[1060,"NaN"]]},
    {"metric":{"state":"busy","x":"y"},"values":[[1020,"3"],[1080,"+Inf"],[1100,"5"]]}]}}`);
  const series = body.data.result as MatrixSeries[];
  assert.deepEqual(pointsOf(series, 1000, 20, 5), [1, 5, null, null, null]);
  assert.deepEqual(pointsOf([], 1000, 20, 3), [null, null, null]);
});

function fullView() {
  const now = 1_700_000_000;
  const t = [now - 10, now - 5];
  const series: MatrixSeries[] = [
    ...STATES.map((s) => ({
      metric: { __name__: "apache_scoreboard", state: s.state },
      values: t.map((x) => [x, s.state === "open_slot" ? "400" : "3"] as [number, string]),
    })),
    { metric: { __name__: "apache_accesses_total" }, values: [[t[0], "1000"], [t[1], "1050"]] },
    { metric: { __name__: "apache_sent_kilobytes_total" }, values: [[t[0], "200"], [t[1], "225"]] },
    { metric: { __name__: "apache_duration_ms_total" }, values: [[t[0], "9000"], [t[1], "9500"]] },
    { metric: { __name__: "apache_uptime_seconds_total" }, values: [[t[1], "93784"]] },
  ];
  const history = {
    start: now - 580,
    stepS: 20,
    requestsPerS: Array.from({ length: 30 }, (_, i) => (i < 3 ? null : i * 1.5)),
    busy: Array.from({ length: 30 }, (_, i) => i % 7),
  };
  return hostView(
    "isaqal09",
    series,
    [{ metric: { alertname: "ApacheWorkersNearlyExhausted" } }],
    now,
    20,
    history,
  );
}

Deno.test("frame: at 80 columns and narrower no line is longer, the history and every state count stay", () => {
  const views = [fullView(), downView("isaqal10", "connection refused ".repeat(8))];
  for (const width of [120, 80, 60, 40]) {
    for (const colour of [false, true]) {
      const f = renderFrame(views, {
        colour,
        barWidth: 40,
        title: "isa-monitoring top: a long title ".repeat(4),
        width,
      });
      for (const line of f.split("\n")) {
        assert.ok(visible(line) <= width, `${width}: ${visible(line)}: ${line}`);
      }
      for (const s of STATES) assert.match(f, new RegExp(`${s.state}=\\d+`), `${width} ${s.state}`);
      assert.match(f, /isaqal10\s+\S*UNREACHABLE/);
    }
    // At 40 columns the figures are cut (nothing wraps); the history needs 60.
    if (width < 60) continue;
    const plain = renderFrame(views, { colour: false, barWidth: 40, title: "t", width });
    // BUSY, IDLE and REQ/S always; a sparkline of each, as wide as there is room.
    assert.match(plain, /^isaqal09\s+\[[^\]]+\]\s+27\s+3\s+10\.00\s/m, `${width}`);
    const spark = /^ {13}10m req\/s ([ ▁▂▃▄▅▆▇█]+) ≤43\.5 {2}busy ([▁▂▃▄▅▆▇█]+) ≤6$/m.exec(plain);
    assert.ok(spark, `${width}: no history line\n${plain}`);
    assert.equal(spark[1].length, spark[2].length);
    assert.ok(spark[2].includes("█"));
  }
  // Wide: every column; at 80 the least needed ones went first.
  assert.match(
    renderFrame(views, { colour: false, barWidth: 40, title: "t", width: 200 }),
    /KB\/S\s+MEAN\s+UPTIME/,
  );
  const at80 = renderFrame(views, { colour: false, barWidth: 40, title: "t", width: 80 });
  assert.match(at80, /BUSY\s+IDLE\s+REQ\/S/);
  assert.doesNotMatch(at80, /KB\/S/);
});

Deno.test("frame: a host without history has no history line; --json carries the points", () => {
  const v = { ...fullView(), history: null };
  assert.doesNotMatch(
    renderFrame([v], { colour: false, barWidth: 20, title: "t", width: 80 }),
    /req\/s [▁-█]/,
  );
  const doc = JSON.parse(JSON.stringify({ hosts: [fullView()] }));
  assert.equal(doc.hosts[0].history.requestsPerS.length, 30);
  assert.equal(doc.hosts[0].history.requestsPerS[0], null);
  assert.equal(doc.hosts[0].history.busy[6], 6);
});

Deno.test("clip and columns: a cut keeps colours closed; the width comes from the terminal, $COLUMNS or 80", () => {
  assert.equal(clip("abcdef", 4), "abc…");
  assert.equal(clip("\x1b[1mabcdef\x1b[0m", 4), "\x1b[1mabc…\x1b[0m");
  assert.equal(columns(() => ({ columns: 132 }), "90"), 132);
  const none = () => {
    throw new Error("not a terminal");
  };
  assert.equal(columns(none, "90"), 90);
  assert.equal(columns(none, undefined), 80);
  // A pty nobody sized (script(1)) reports 0 columns: as no terminal size at all.
  assert.equal(columns(() => ({ columns: 0 }), "100"), 100);
  assert.equal(columns(() => ({ columns: 0 }), undefined), 80);
});
