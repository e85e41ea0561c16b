import assert from "node:assert/strict";
import { parse } from "yaml";

const DIR = new URL("../../files/prometheus/", import.meta.url);
const RULES = new URL("alerts.yml", DIR).pathname;
const TESTS = new URL("alerts_test.yml", DIR).pathname;

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleTest {
  alert_rule_test?: { alertname: string; eval_time?: string; exp_alerts?: unknown[] | null }[];
}

async function promtool(...args: string[]): Promise<{ code: number; out: string }> {
  let r: Deno.CommandOutput;
  try {
    r = await new Deno.Command("promtool", { args, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        "promtool is not installed (it comes with Debian's `prometheus` package: apt-get install -y prometheus); " +
          "CI installs it, so this test does not skip",
      );
    }
    throw e;
  }
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

function alerts(rulesDoc: unknown): Rule[] {
  const groups = (rulesDoc as { groups?: { rules?: Rule[] }[] }).groups ?? [];
  return groups.flatMap((g) => g.rules ?? []).filter((r) => r.alert);
}

/** The dead man's switch: always fires, so it has no quiet case to test. */
function isHeartbeat(a: Rule): boolean {
  return a.labels?.severity === "heartbeat";
}

/** Alerts lacking a firing case or a quiet case (a heartbeat: lacking firing cases) in the promtool unit tests. */
function uncovered(rulesDoc: unknown, testsDoc: unknown): string[] {
  const cases = ((testsDoc as { tests?: RuleTest[] }).tests ?? []).flatMap((t) => t.alert_rule_test ?? []);
  const missing: string[] = [];
  for (const a of alerts(rulesDoc)) {
    const mine = cases.filter((c) => c.alertname === a.alert);
    if (!mine.some((c) => (c.exp_alerts ?? []).length > 0)) {
      missing.push(`${a.alert}: no case where it fires`);
    }
    if (isHeartbeat(a)) {
      // Always firing: every case must expect it, from the first evaluation on.
      if (mine.some((c) => (c.exp_alerts ?? []).length === 0)) {
        missing.push(`${a.alert}: a case where it is quiet`);
      }
      if (!mine.some((c) => c.eval_time === "0m")) {
        missing.push(`${a.alert}: no case at the first evaluation`);
      }
    } else if (!mine.some((c) => (c.exp_alerts ?? []).length === 0)) {
      missing.push(`${a.alert}: no case where it stays quiet`);
    }
  }
  return missing;
}

Deno.test("promtool check rules accepts alerts.yml", async () => {
  const r = await promtool("check", "rules", RULES);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS/);
});

Deno.test("promtool test rules passes alerts_test.yml", async () => {
  const r = await promtool("test", "rules", TESTS);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS/);
});

Deno.test("every alert has a firing and a quiet promtool test case", async () => {
  const rules = parse(await Deno.readTextFile(RULES));
  const tests = parse(await Deno.readTextFile(TESTS));
  assert.ok(alerts(rules).length >= 6, "expected the five alerts and Watchdog");
  assert.deepEqual(uncovered(rules, tests), []);
  assert.deepEqual((tests as { rule_files: string[] }).rule_files, ["alerts.yml"]);
});

Deno.test("the coverage check catches an alert added without tests", () => {
  const rules = {
    groups: [{ name: "g", rules: [{ alert: "Tested", expr: "1" }, { alert: "New", expr: "1" }] }],
  };
  const tests = {
    tests: [{
      alert_rule_test: [
        { alertname: "Tested", exp_alerts: [{ exp_labels: {} }] },
        { alertname: "Tested", exp_alerts: [] },
        { alertname: "New" },
      ],
    }],
  };
  assert.deepEqual(uncovered(rules, tests), ["New: no case where it fires"]);
});

Deno.test("the coverage check wants the heartbeat firing in every case, from the first evaluation", () => {
  const rules = {
    groups: [{
      name: "g",
      rules: [{ alert: "Watchdog", expr: "vector(1)", labels: { severity: "heartbeat" } }],
    }],
  };
  const firing = { alertname: "Watchdog", eval_time: "5m", exp_alerts: [{ exp_labels: {} }] };
  assert.deepEqual(
    uncovered(rules, { tests: [{ alert_rule_test: [firing, { ...firing, eval_time: "0m" }] }] }),
    [],
  );
  assert.deepEqual(
    uncovered(rules, { tests: [{ alert_rule_test: [firing, { ...firing, exp_alerts: [] }] }] }),
    [
      "Watchdog: a case where it is quiet",
      "Watchdog: no case at the first evaluation",
    ],
  );
});

Deno.test("every alert has a severity and instance-aware summary and description", async () => {
  const rules = parse(await Deno.readTextFile(RULES));
  const names = new Set<string>();
  for (const a of alerts(rules)) {
    assert.ok(!names.has(a.alert!), `${a.alert} is defined twice`);
    names.add(a.alert!);
    assert.ok(
      ["critical", "warning", "info", "heartbeat"].includes(a.labels?.severity ?? ""),
      `${a.alert}: severity`,
    );
    // The heartbeat has no series, hence no $labels.instance: it names the host's external label.
    const naming = isHeartbeat(a) ? /\{\{ \$externalLabels\.host \}\}/ : /\{\{ \$labels\.instance \}\}/;
    for (const k of ["summary", "description"]) {
      assert.match(a.annotations?.[k] ?? "", naming, `${a.alert}: ${k} names the instance`);
    }
  }
  // Exactly one dead man's switch, which never stops firing.
  const beats = alerts(rules).filter(isHeartbeat);
  assert.deepEqual(beats.map((a) => [a.alert, a.expr, a.labels?.instance]), [
    ["Watchdog", "vector(1)", "{{ $externalLabels.host }}"],
  ]);
  assert.equal((beats[0] as { for?: string }).for, undefined, "Watchdog fires without waiting");
  // The exporter reports apache_up 1 on a 403, so ApacheDown must look at the scoreboard.
  const down = alerts(rules).find((a) => a.alert === "ApacheDown");
  assert.match(down?.expr ?? "", /apache_scoreboard/);
});
