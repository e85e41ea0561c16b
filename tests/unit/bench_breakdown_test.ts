import assert from "node:assert/strict";
import {
  breakdownLines,
  coldBreakdown,
  type ReportedHost,
  sideBySideRow,
  sideBySideTable,
} from "../../bench/breakdown.ts";
import type { ImageTransfer } from "../../lib/engine/report.ts";

/** A host report as the deploy's --json gives it (lib/engine/report.ts), with only what the bench reads. */
const host = (
  name: string,
  total: number,
  steps: [string, number][],
  transfers?: Pick<ImageTransfer, "bytes" | "seconds">[],
): ReportedHost => ({
  host: name,
  seconds: total,
  steps: steps.map(([step, seconds]) => ({ step, seconds })),
  transfers: transfers?.map((t) => ({
    image: "p",
    archiveBytes: t.bytes,
    fullBytes: t.bytes,
    layersSent: 1,
    layersSkipped: 0,
    compressed: false,
    ...t,
  })),
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

Deno.test("cold breakdown: the images a push sent, from the reports' transfers, in their own row and column", () => {
  const run = [
    host("a", 20, [["prometheus", 10]], [{ bytes: 60e6, seconds: 5 }, { bytes: 40e6, seconds: 3 }]),
    host("b", 22, [["prometheus", 12]], [{ bytes: 50e6, seconds: 6 }]),
  ];
  const rows = coldBreakdown([run]);
  assert.deepEqual(rows.map((r) => r.name), ["before steps", "prometheus", "image transfer"]);
  // Per host, the sum of its transfers (100 MB in 8 s, 50 MB in 6 s); the median host of them.
  assert.equal(rows[2].bytesSent!.median, 75e6);
  assert.equal(rows[2].seconds.median, 7);
  assert.equal(rows[1].bytesSent, null);
  const lines = breakdownLines(rows);
  assert.match(lines[0], /image bytes sent$/);
  assert.ok(lines.some((l) => /^image transfer\s.*\s75\.0 MB$/.test(l)), lines.join("\n"));
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
