import * as assert from "node:assert/strict";
import { fleetExitCode, printDocument } from "../../lib/fleet/fleet.ts";

/** What `fn` prints with console.log. */
function captured(fn: () => void): string {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    fn();
  } finally {
    console.log = log;
  }
  return lines.join("\n");
}

Deno.test("fleet: one JSON document, task first, the task's fields, exitCode, then the rest", () => {
  const text = captured(() =>
    printDocument("grafana", 2, { check: false, seconds: 1.5 }, { grafana: null, hosts: [], actions: [] })
  );
  assert.deepEqual(Object.keys(JSON.parse(text)), [
    "task",
    "check",
    "seconds",
    "exitCode",
    "grafana",
    "hosts",
    "actions",
  ]);
  assert.equal(
    captured(() => printDocument("status", 0, {}, { hosts: [] })),
    JSON.stringify({ task: "status", exitCode: 0, hosts: [] }, null, 2),
  );
});

Deno.test("fleet: the exit code from each host's outcome, and a failure outside the hosts", () => {
  const out = (s: string) => s as "ok" | "failed" | "unreachable";
  assert.equal(fleetExitCode(["ok", "ok"], out), 0);
  assert.equal(fleetExitCode(["ok", "failed"], out), 2);
  assert.equal(fleetExitCode(["unreachable", "failed"], out), 6);
  assert.equal(fleetExitCode(["ok"], out, true), 2);
});
