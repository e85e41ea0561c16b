import assert from "node:assert/strict";
import {
  breakdownLines,
  coldBreakdown,
  type ReportedHost,
  sideBySideRow,
  sideBySideTable,
  stepBytesSent,
  stepParts,
} from "../../bench/breakdown.ts";

/** A host report as the deploy's --json gives it (lib/engine/report.ts), with only what the bench reads. */
const host = (
  name: string,
  total: number,
  steps: [string, number, Record<string, unknown>?][],
): ReportedHost => ({
  host: name,
  seconds: total,
  steps: steps.map(([step, seconds, extra]) => ({ step, seconds, ...extra })),
});

Deno.test("cold breakdown: each run's median host per step, summarized over the runs; time before the steps", () => {
  const run1 = [
    host("a", 30, [["facts", 0.5], ["docker", 13], ["exporter", 2], ["prometheus", 12]]),
    host("b", 33, [["facts", 0.7], ["docker", 15], ["exporter", 3], ["prometheus", 13]]),
    host("c", 40, [["facts", 0.6], ["docker", 20], ["exporter", 4], ["prometheus", 14]]),
  ];
  const run2 = [
    host("a", 20, [["facts", 0.4], ["docker", 9], ["exporter", 1], ["prometheus", 8]]),
    host("b", 21, [["facts", 0.4], ["docker", 10], ["exporter", 1], ["prometheus", 9]]),
    host("c", 22, [["facts", 0.4], ["docker", 11], ["exporter", 1], ["prometheus", 9]]),
  ];
  const rows = coldBreakdown([run1, run2]);
  assert.deepEqual(rows.map((r) => r.name), ["before steps", "facts", "docker", "exporter", "prometheus"]);
  const docker = rows.find((r) => r.name === "docker")!;
  // Run 1's median host: 15; run 2's: 10; their median 12.5.
  assert.deepEqual([docker.seconds.median, docker.seconds.min, docker.seconds.max], [12.5, 10, 15]);
  const before = rows[0];
  // Run 1: 30-27.5=2.5, 33-31.7=1.3, 40-38.6=1.4 → median 1.4; run 2: 1.6, 0.6, 0.6 → 0.6.
  assert.ok(Math.abs(before.seconds.max - 1.4) < 1e-9 && Math.abs(before.seconds.min - 0.6) < 1e-9);
  assert.ok(rows.every((r) => r.bytesSent === null));
  const lines = breakdownLines(rows);
  assert.ok(
    lines.some((l) =>
      /^docker\s+Docker engine install and start, network\s+12\.50 \(10\.00–15\.00\)$/.test(l)
    ),
  );
  assert.ok(!lines[0].includes("bytes"), "no bytes column when the report has none");
});

Deno.test("cold breakdown: bytes sent and parts, when a step reports them, in their own rows and column", () => {
  const run = [
    host("a", 20, [["prometheus", 10, {
      images: [{ image: "p", bytesSent: 100e6 }],
      parts: { transfer: 8, container: 2 },
    }]]),
    host("b", 22, [["prometheus", 12, {
      images: [{ image: "p", bytes_sent: 50e6 }],
      parts: { transfer: 9, container: 3 },
    }]]),
  ];
  const rows = coldBreakdown([run]);
  assert.deepEqual(rows.map((r) => r.name), [
    "before steps",
    "prometheus",
    "prometheus.transfer",
    "prometheus.container",
  ]);
  assert.equal(rows[1].bytesSent!.median, 75e6);
  assert.equal(rows[2].seconds.median, 8.5);
  const lines = breakdownLines(rows);
  assert.match(lines[0], /image bytes sent$/);
  assert.ok(lines.some((l) => /^prometheus\s.*\s75\.0 MB$/.test(l)));
});

Deno.test("bytes sent: on the step or its array items, summed; null when none", () => {
  assert.equal(stepBytesSent({ step: "x", seconds: 1 }), null);
  assert.equal(stepBytesSent({ bytesSent: 5 }), 5);
  assert.equal(stepBytesSent({ bytes_sent: 5, images: [{ bytesSent: 2 }, { sentBytes: 3 }, "no"] }), 10);
  assert.equal(stepBytesSent({ images: [{ bytes: 7 }] }), null, "a size is not bytes sent");
  assert.deepEqual(stepParts({ timings: { engine: 1, note: "x" } }), [["engine", 1]]);
  assert.deepEqual(stepParts({ changes: [] }), []);
});

Deno.test("side-by-side: the issue's table, ratio and speed-up from the medians", () => {
  const rows = [
    sideBySideRow(2, { cold: 61.4, noop: 18.0 }, { cold: 32.7, noop: 0.57 }),
    sideBySideRow(6, { cold: 194.3, noop: 51.0 }, { cold: 99.6, noop: 1.18 }),
  ];
  assert.equal(
    sideBySideTable(rows, 5),
    [
      "| hosts | Ansible cold | ours cold | ratio | Ansible no-op | ours no-op (median of 5) | speed-up |",
      "|---|---|---|---|---|---|---|",
      "| 2 | 61.4 s | 32.7 s | 0.53× | 18.0 s | 0.57 s | 32× |",
      "| 6 | 194.3 s | 99.6 s | 0.51× | 51.0 s | 1.18 s | 43× |",
    ].join("\n"),
  );
});
