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
  alert_rule_test?: { alertname: string; exp_alerts?: unknown[] | null }[];
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

/** Alerts lacking a firing case or a quiet case in the promtool unit tests. */
function uncovered(rulesDoc: unknown, testsDoc: unknown): string[] {
  const cases = ((testsDoc as { tests?: RuleTest[] }).tests ?? []).flatMap((t) => t.alert_rule_test ?? []);
  const missing: string[] = [];
  for (const a of alerts(rulesDoc)) {
    const mine = cases.filter((c) => c.alertname === a.alert);
    if (!mine.some((c) => (c.exp_alerts ?? []).length > 0)) {
      missing.push(`${a.alert}: no case where it fires`);
    }
    if (!mine.some((c) => (c.exp_alerts ?? []).length === 0)) {
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
  assert.ok(alerts(rules).length >= 5, "expected the five alerts");
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

Deno.test("every alert has a severity and instance-aware summary and description", async () => {
  const rules = parse(await Deno.readTextFile(RULES));
  const names = new Set<string>();
  for (const a of alerts(rules)) {
    assert.ok(!names.has(a.alert!), `${a.alert} is defined twice`);
    names.add(a.alert!);
    assert.ok(["critical", "warning", "info"].includes(a.labels?.severity ?? ""), `${a.alert}: severity`);
    for (const k of ["summary", "description"]) {
      assert.match(
        a.annotations?.[k] ?? "",
        /\{\{ \$labels\.instance \}\}/,
        `${a.alert}: ${k} names the instance`,
      );
    }
  }
  // The exporter reports apache_up 1 on a 403, so ApacheDown must look at the scoreboard.
  const down = alerts(rules).find((a) => a.alert === "ApacheDown");
  assert.match(down?.expr ?? "", /apache_scoreboard/);
});
