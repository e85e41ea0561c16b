import assert from "node:assert/strict";
import { runSteps } from "../../lib/fleet/runner.ts";
import { grafanaTask } from "../../lib/grafana/task.ts";
import { deploySteps } from "../../lib/steps/mod.ts";
import { status } from "../../lib/status/task.ts";
import { removeContainersStep } from "../../lib/steps/uninstall.ts";
import { verifyMetrics } from "../../lib/verify/task.ts";

// Every task that works on hosts begins the same way (lib/fleet/start.ts); each is called in-process
// here with the project's inventories, so these answers come from the inventory alone.
const TASKS: [string, (args: string[]) => Promise<number>][] = [
  ["deploy", (a) => runSteps("deploy", deploySteps, a)],
  ["uninstall", (a) => runSteps("uninstall", [removeContainersStep], a)],
  ["status", status],
  ["verify-metrics", verifyMetrics],
  ["grafana", (a) => grafanaTask(a)],
];

/** Runs a task with stdout and stderr captured. */
async function run(
  task: (args: string[]) => Promise<number>,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  console.error = (...a: unknown[]) => void err.push(a.join(" "));
  try {
    const code = await task(args);
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("--list-hosts: every task lists the selected hosts and contacts none", async () => {
  for (const [name, task] of TASKS) {
    const r = await run(task, ["--list-hosts", "--limit", "isaqal*,!isaqal10"]);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.equal(r.stdout.trim(), "isaqal09", name);
  }
});

Deno.test("--list-hosts --json: one document of host names, for every task", async () => {
  for (const [name, task] of TASKS) {
    const r = await run(task, ["--list-hosts", "--json", "--prod"]);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.deepEqual(JSON.parse(r.stdout), { hosts: ["isaprd09", "isaprd10", "isaprd11"] }, name);
  }
});

Deno.test("bad usage exits 1 for every task, before any inventory is read", async () => {
  for (const [name, task] of TASKS) {
    const r = await run(task, ["--forks", "0", "--inventory", "/nonexistent.yml"]);
    assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /^error: --forks takes a whole number from 1 to 100/, name);
    assert.equal(r.stdout, "", name);
  }
});

Deno.test("read-only tasks refuse --check / --diff with exit 1, before listing hosts", async () => {
  const cases: [(args: string[]) => Promise<number>, string, RegExp][] = [
    [status, "--check", /status only reads/],
    [verifyMetrics, "--diff", /verify-metrics only reads/],
    [grafanaTask, "--diff", /grafana: --diff does not apply/],
  ];
  for (const [task, flag, message] of cases) {
    const r = await run(task, [flag, "--list-hosts"]);
    assert.equal(r.code, 1, String(message));
    assert.match(r.stderr, message);
    assert.equal(r.stdout, "", "nothing listed: the refusal comes first");
  }
});
