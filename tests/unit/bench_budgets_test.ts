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

Deno.test("budgets: every figure against its limit, inclusive, and unmeasured ones skipped", () => {
  const lab = new Map([
    [2, { noop: BUDGET.noop2Seconds, verify: BUDGET.verify2Seconds + 0.01 }],
    [6, { noop: BUDGET.noop6Seconds + 0.01, verify: 0.5 }],
  ]);
  const b = evaluateBudgets({
    lab,
    containersBytes: 100e6,
    lightCheck: { hosts: BUDGET.lightHosts, seconds: 2.5, peakRssBytes: 260e6 },
  });
  assert.deepEqual(Object.fromEntries(b.map((x) => [x.name, x.pass])), {
    "no-op re-run, 2 hosts": true,
    "no-op re-run, 6 hosts": false,
    "verify-metrics, 2 hosts": false,
    "containers resident together": true,
    [`deploy --check, ${BUDGET.lightHosts} light hosts`]: true,
    [`controller peak RSS, deploy --check, ${BUDGET.lightHosts} light hosts`]: false,
  });
  assert.equal(budgetExitCode(b), 3);
  const lines = budgetLines(b);
  assert.match(lines[0], /^ {2}PASS {2}no-op re-run, 2 hosts: 1\.00 s ≤ 1\.00 s$/);
  assert.match(lines[1], /^ {2}FAIL {2}no-op re-run, 6 hosts: 1\.31 s ≤ 1\.30 s$/);
  assert.match(lines[5], /FAIL .*: 260\.0 MB < 250 MB$/);
});

Deno.test("budgets: nothing measured is all SKIP and exit 0; fewer light hosts than the budget's skip", () => {
  const none = evaluateBudgets({ lab: new Map() });
  assert.ok(none.every((b) => b.pass === null));
  assert.equal(budgetExitCode(none), 0);
  assert.ok(budgetLines(none).every((l) => l.startsWith("  SKIP  ")));
  const few = verdicts({ lab: new Map(), lightCheck: { hosts: 10, seconds: 9, peakRssBytes: 1e9 } });
  assert.equal(few[`deploy --check, ${BUDGET.lightHosts} light hosts`], null);
});

Deno.test("budgets: the --forks of the light run is in the name", () => {
  const b = evaluateBudgets({
    lab: new Map(),
    lightCheck: { hosts: 50, seconds: 1, peakRssBytes: 1e8, forks: 20 },
  });
  assert.ok(b.some((x) => x.name === "deploy --check, 50 light hosts (--forks 20)" && x.pass === true));
});

Deno.test("GNU time's output: peak RSS KiB to bytes and CPU seconds, after any warning line", () => {
  assert.deepEqual(parseGnuTime("123456 1.50 0.25\n"), { peakRssBytes: 123456 * 1024, cpuSeconds: 1.75 });
  assert.deepEqual(parseGnuTime("Command exited with non-zero status 2\n98304 0.80 0.20\n"), {
    peakRssBytes: 98304 * 1024,
    cpuSeconds: 1,
  });
  assert.throws(() => parseGnuTime("Command terminated by signal 9\n"), /no "%M %U %S" line/);
});
