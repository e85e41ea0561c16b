/**
 * Every PromQL expression the project writes parses with Prometheus' own grammar
 * (`@prometheus-io/lezer-promql`, through lib/base/promql.ts): the dashboard's panels and variables,
 * the alerting rules, and the queries of verify-metrics, status and top. The tools and lab tests still
 * run them against a real Prometheus (tests/tools/dashboard_queries_test.ts, tests/lab/dashboard_test.ts).
 */
import assert from "node:assert/strict";
import { LineCounter, parseDocument, type YAMLMap, type YAMLSeq } from "yaml";
import { formatPromqlError, promqlErrors, type PromqlSource } from "../../lib/base/promql.ts";
import { allPanels, type Dashboard, dashboardQueries, renderDashboard } from "../../lib/grafana/mod.ts";
import { shippedAlerts } from "../../lib/steps/shipped_files.ts";
import { scoreboardAgeQuery } from "../../lib/verify/public.ts";
import { readStateQuery } from "../../lib/verify/live.ts";
import { alertsQuery, seriesQuery } from "../../lib/top/source.ts";
import { scoreboardExpr } from "../../lib/top/graph_link.ts";

/** An inventory host name as the schema allows it (letters, digits, `_.-`). */
const HOST = "isa-prd_10.epfl.ch";
const DASHBOARD_FILE = "lib/grafana/dashboard_model.ts";
const ALERTS_FILE = "files/prometheus/alerts.yml";

/** The dashboard's queries, its variables replaced by a host (and Grafana's built-ins by durations). */
function dashboardSources(d: Dashboard, label: string): PromqlSource[] {
  return dashboardQueries(d, { host: HOST }).map((q) => ({
    file: DASHBOARD_FILE,
    where: `${label} ${q.where}`,
    expr: q.expr,
  }));
}

/** Each rule's `expr` in an alerts.yml text, with the line it starts on. */
function alertSources(text: string, file = ALERTS_FILE): PromqlSource[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const out: PromqlSource[] = [];
  for (const g of (doc.get("groups") as YAMLSeq<YAMLMap>).items) {
    for (const r of (g.get("rules") as YAMLSeq<YAMLMap>).items) {
      const node = r.get("expr", true) as { value: unknown; range?: [number, number, number] };
      const line = node.range ? lines.linePos(node.range[0]).line : 0;
      out.push({
        file: `${file}:${line}`,
        where: `rule ${r.get("alert") ?? r.get("record")}`,
        expr: String(node.value),
      });
    }
  }
  return out;
}

/** The queries built in code, for a host. */
function codeSources(): PromqlSource[] {
  return [
    {
      file: "lib/verify/public.ts",
      where: "scoreboardAgeQuery (verify-metrics check 4, status)",
      expr: scoreboardAgeQuery(HOST),
    },
    {
      file: "lib/verify/live.ts",
      where: "readStateQuery (verify-metrics --live)",
      expr: readStateQuery(HOST),
    },
    { file: "lib/top/source.ts", where: "seriesQuery", expr: seriesQuery(HOST, 30) },
    { file: "lib/top/source.ts", where: "alertsQuery (host)", expr: alertsQuery(HOST, false) },
    { file: "lib/top/source.ts", where: "alertsQuery (central store)", expr: alertsQuery(HOST, true) },
    { file: "lib/top/graph_link.ts", where: "scoreboardExpr", expr: scoreboardExpr(HOST) },
  ];
}

/** Every expression of the tree. */
function allSources(): PromqlSource[] {
  const alerts = shippedAlerts();
  assert.ok(alerts, `${ALERTS_FILE} is shipped`);
  return [
    ...dashboardSources(renderDashboard("qual"), "qual"),
    ...dashboardSources(renderDashboard("prod"), "prod"),
    ...alertSources(alerts),
    ...codeSources(),
  ];
}

Deno.test("promqlErrors: a valid expression has none; a broken one gives its position", () => {
  assert.deepEqual(
    promqlErrors('sum by (instance) (rate(apache_accesses_total{instance="a"}[1m])) > bool 0'),
    [],
  );
  // The closing parenthesis of sum( is missing: the error is at the end, offset 35.
  const broken = "sum(rate(apache_accesses_total[5m])";
  assert.deepEqual(promqlErrors(broken)[0], { offset: 35, line: 1, column: 36 });
  // An unknown function is not PromQL (the grammar lists Prometheus' functions).
  assert.deepEqual(promqlErrors("rates(x[5m])")[0], { offset: 5, line: 1, column: 6 });
  // A bad duration unit, on the second line of a multi-line rule.
  assert.deepEqual(promqlErrors("sum(x)\n  / sum(y[5x])")[0], { offset: 18, line: 2, column: 12 });
  assert.deepEqual(promqlErrors("  "), [{ offset: 0, line: 1, column: 1 }]);
});

Deno.test("formatPromqlError names the file, the use and the position, with a caret", () => {
  const msg = formatPromqlError({
    file: "files/prometheus/alerts.yml:12",
    where: "rule Broken",
    expr: 'up{job="apache" instance="x"} == 0',
  });
  assert.equal(
    msg,
    "files/prometheus/alerts.yml:12: rule Broken: PromQL syntax error at line 1, column 17\n" +
      '  up{job="apache" instance="x"} == 0\n' +
      // The caret under `instance`, where the comma is missing.
      "                  ^",
  );
  assert.equal(formatPromqlError({ file: "f", where: "w", expr: "up == 0" }), null);
});

Deno.test("every PromQL expression of the tree parses: dashboard, alerting rules, verify-metrics, status, top", () => {
  const sources = allSources();
  const files = new Set(sources.map((s) => s.file.replace(/:\d+$/, "")));
  // The walk reached each source of truth (a refactor that lost one would check nothing there).
  assert.deepEqual([...files].sort(), [
    ALERTS_FILE,
    DASHBOARD_FILE,
    "lib/top/graph_link.ts",
    "lib/top/source.ts",
    "lib/verify/live.ts",
    "lib/verify/public.ts",
  ]);
  assert.ok(
    sources.filter((s) => s.file === DASHBOARD_FILE).length >= 30,
    "both deployments' dashboard queries",
  );
  assert.ok(sources.filter((s) => s.file.startsWith(ALERTS_FILE)).length >= 6, "every alerting rule");
  const errors = sources.map(formatPromqlError).filter((m) => m !== null);
  assert.deepEqual(errors, []);
});

Deno.test("a broken dashboard query fails naming the panel and its position", () => {
  const d = renderDashboard("prod");
  const panel = allPanels(d).find((p) => p.title === "Requests / s")!;
  panel.targets![0].expr =
    'sum by (instance) (rate(apache_accesses_total{instance=~"$host"}[$__rate_interval])';
  const errors = dashboardSources(d, "prod").map(formatPromqlError).filter((m) => m !== null);
  assert.equal(errors.length, 1, errors.join("\n"));
  assert.match(
    errors[0],
    /^lib\/grafana\/dashboard_model\.ts: prod panel "Requests \/ s" A: PromQL syntax error at line 1, column \d+\n/,
  );
});

Deno.test("a broken alerting rule fails naming alerts.yml's line and the rule", () => {
  const text = shippedAlerts()!.replace('expr: up{job="apache"} == 0', 'expr: up{job="apache"} === 0');
  assert.notEqual(text, shippedAlerts(), "the rule to break is in alerts.yml");
  const errors = alertSources(text).map(formatPromqlError).filter((m) => m !== null);
  assert.equal(errors.length, 1, errors.join("\n"));
  const line = text.split("\n").findIndex((l) => l.includes("=== 0")) + 1;
  assert.match(
    errors[0],
    new RegExp(`^files/prometheus/alerts\\.yml:${line}: rule ExporterDown: .* column 20\\n`),
  );
});
