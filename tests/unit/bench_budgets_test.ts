import assert from "node:assert/strict";
import {
  BUDGET,
  budgetExitCode,
  type BudgetFigures,
  budgetLines,
  evaluateBudgets,
  parseGnuTime,
} from "../../bench/budgets.ts";

const verdicts = (f: BudgetFigures) => Object.fromEntries(evaluateBudgets(f).map((b) => [b.name, b.pass]));

const L = BUDGET.lightHosts;
const CHECK = `deploy --check, ${L} light hosts`;

Deno.test("budgets: every figure against its limit, inclusive, and unmeasured ones skipped", () => {
  const lab = new Map([
    [2, { cold: BUDGET.cold2Seconds, noop: BUDGET.noop2Seconds, verify: BUDGET.verify2Seconds + 0.01 }],
    [6, { cold: BUDGET.cold6Seconds + 0.01, noop: BUDGET.noop6Seconds + 0.01, verify: 0.5 }],
  ]);
  const b = evaluateBudgets({
    lab,
    // 2 hosts: 15 s is exactly 0.25 × 60 s; 6 hosts: 48.01 s is over 0.25 × 190 s = 47.5 s.
    ansibleCold: new Map([[2, 60], [6, 190]]),
    containersBytes: 100e6,
    lightCheck: { hosts: L, seconds: 2.5, peakRssBytes: 260e6, hostsCpuSeconds: L * 0.1 },
  });
  assert.deepEqual(Object.fromEntries(b.map((x) => [x.name, x.pass])), {
    "cold deploy vs Ansible, 2 hosts": true,
    "cold deploy, 2 hosts": true,
    "cold deploy vs Ansible, 6 hosts": false,
    "cold deploy, 6 hosts": false,
    "no-op re-run, 2 hosts": true,
    "no-op re-run, 6 hosts": false,
    "verify-metrics, 2 hosts": false,
    "containers resident together": true,
    [`${CHECK}, slowest run (the first included)`]: true,
    [`light hosts' CPU per host, ${CHECK}, largest run`]: true,
    [`controller peak RSS, ${CHECK}`]: false,
  });
  assert.equal(budgetExitCode(b), 3);
  const lines = budgetLines(b);
  assert.match(
    lines[0],
    /^ {2}PASS {2}cold deploy vs Ansible, 2 hosts: 15\.00 s = 0\.25× Ansible's 60\.00 s ≤ 0\.25× \(15\.00 s\)$/,
  );
  assert.match(lines[3], /^ {2}FAIL {2}cold deploy, 6 hosts: 48\.01 s ≤ 48\.00 s$/);
  assert.match(lines[4], /^ {2}PASS {2}no-op re-run, 2 hosts: 0\.60 s ≤ 0\.60 s$/);
  assert.match(lines[5], /^ {2}FAIL {2}no-op re-run, 6 hosts: 1\.21 s ≤ 1\.20 s$/);
  assert.match(lines[9], /PASS .*: 0\.100 s ≤ 0\.100 s$/);
  assert.match(lines[10], /FAIL .*: 260\.0 MB < 250 MB$/);
});

Deno.test("budgets: the issue-25 limits", () => {
  assert.equal(BUDGET.coldVsAnsible, 0.25);
  assert.equal(BUDGET.cold2Seconds, 15);
  assert.equal(BUDGET.cold6Seconds, 48);
  assert.equal(BUDGET.noop2Seconds, 0.6);
  assert.equal(BUDGET.noop6Seconds, 1.2);
  assert.equal(BUDGET.lightCheckSeconds, 3);
  assert.equal(BUDGET.lightHostCpuSeconds, 0.1);
  assert.equal(BUDGET.lightCheckControllerMB, 250);
});

Deno.test("budgets: the light check's slowest run and its hosts' CPU fail past the limit", () => {
  const v = verdicts({
    lab: new Map(),
    lightCheck: { hosts: L, seconds: 3.01, peakRssBytes: 1e8, hostsCpuSeconds: L * 0.1 + 0.01 },
  });
  assert.equal(v[`${CHECK}, slowest run (the first included)`], false);
  assert.equal(v[`light hosts' CPU per host, ${CHECK}, largest run`], false);
  assert.equal(v[`controller peak RSS, ${CHECK}`], true);
  // Unreadable cgroups: that one budget is skipped and says why, the others still judged.
  const b = evaluateBudgets({
    lab: new Map(),
    lightCheck: { hosts: L, seconds: 1, peakRssBytes: 1e8, hostsCpuSeconds: null },
  });
  const cpu = b.find((x) => x.name.startsWith("light hosts' CPU"))!;
  assert.equal(cpu.pass, null);
  assert.match(cpu.limit, /cgroups were not readable/);
  assert.equal(budgetExitCode(b), 0);
});

Deno.test("budgets: cold against Ansible is skipped without --ansible, the absolute one still judged", () => {
  const v = verdicts({ lab: new Map([[2, { cold: 16, noop: 0.5, verify: 1 }]]) });
  assert.equal(v["cold deploy vs Ansible, 2 hosts"], null);
  assert.equal(v["cold deploy, 2 hosts"], false);
  const b = evaluateBudgets({ lab: new Map() });
  assert.match(
    b.find((x) => x.name === "cold deploy vs Ansible, 6 hosts")!.limit,
    /needs --hosts 6 --ansible/,
  );
});

Deno.test("budgets: nothing measured is all SKIP and exit 0; fewer light hosts than the budget's skip", () => {
  const none = evaluateBudgets({ lab: new Map() });
  assert.ok(none.every((b) => b.pass === null));
  assert.equal(budgetExitCode(none), 0);
  assert.ok(budgetLines(none).every((l) => l.startsWith("  SKIP  ")));
  const few = verdicts({ lab: new Map(), lightCheck: { hosts: 10, seconds: 9, peakRssBytes: 1e9 } });
  assert.equal(few[`${CHECK}, slowest run (the first included)`], null);
});

Deno.test("budgets: the --forks of the light run is in the name", () => {
  const b = evaluateBudgets({
    lab: new Map(),
    lightCheck: { hosts: 50, seconds: 1, peakRssBytes: 1e8, forks: 20 },
  });
  assert.ok(
    b.some((x) =>
      x.name === "deploy --check, 50 light hosts (--forks 20), slowest run (the first included)" &&
      x.pass === true
    ),
  );
});

Deno.test("GNU time's output: peak RSS KiB to bytes and CPU seconds, after any warning line", () => {
  assert.deepEqual(parseGnuTime("123456 1.50 0.25\n"), { peakRssBytes: 123456 * 1024, cpuSeconds: 1.75 });
  assert.deepEqual(parseGnuTime("Command exited with non-zero status 2\n98304 0.80 0.20\n"), {
    peakRssBytes: 98304 * 1024,
    cpuSeconds: 1,
  });
  assert.throws(() => parseGnuTime("Command terminated by signal 9\n"), /no "%M %U %S" line/);
});
