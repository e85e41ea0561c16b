/**
 * The dashboard built with Grafana's SDK (lib/grafana/dashboard_model.ts) says what the hand-kept JSON
 * template it replaced said (tests/fixtures/dashboard-before-sdk.json): the whole document is compared,
 * after taking out, one by one, the fields the SDK writes by default. Each is checked before it is taken
 * out, so the list stays exact: a default the SDK stops writing, or a new one, fails here.
 */
import assert from "node:assert/strict";
import { type Dashboard, type Deployment, renderDashboard } from "../../lib/grafana/mod.ts";

const FIXTURE = new URL("../fixtures/dashboard-before-sdk.json", import.meta.url);

/** The old template, filled as the old renderDashboard filled it. */
function before(deployment: Deployment): Record<string, unknown> {
  const uid = deployment === "prod" ? "isaprod" : "isaqal";
  return JSON.parse(
    Deno.readTextFileSync(FIXTURE).replace("__ISA_UID__", uid).replace("__ISA_TITLE__", uid)
      .replace("__ISA_DATASOURCE_REGEX__", `/^ISA ${deployment} /`),
  );
}

type Obj = Record<string, unknown>;

/** Deletes `key` from `o` after checking it holds `value` (so the list of differences stays exact). */
function drop(o: Obj, key: string, value: unknown, where: string): void {
  assert.ok(key in o, `${where}: ${key} is no longer written: remove it from the list`);
  assert.deepEqual(o[key], value, `${where}.${key}`);
  delete o[key];
}

/** The SDK's dashboard without the defaults it writes and the old template did not have. */
function withoutSdkDefaults(d: Dashboard): Obj {
  const out = structuredClone(d) as Obj;
  // The schema version of the types the SDK is generated from; it has no setter. Grafana migrates
  // only a dashboard older than its own schema, and every field used here exists in both versions.
  drop(out, "schemaVersion", 42, "dashboard");
  // Grafana 12's place for an annotation's toggle; this one is hidden (hide: true) anyway.
  drop((out.annotations as { list: Obj[] }).list[0], "placement", "inControlsMenu", "annotation");
  for (const v of (out.templating as { list: Obj[] }).list) {
    // defaultVariableModel() writes an interval variable's fields and Grafana's own default
    // allowCustomValue on every variable; they mean nothing to a datasource or query variable.
    drop(v, "allowCustomValue", true, `variable ${v.name}`);
    drop(v, "auto", false, `variable ${v.name}`);
    drop(v, "auto_count", 30, `variable ${v.name}`);
    drop(v, "auto_min", "10s", `variable ${v.name}`);
  }
  for (const p of out.panels as Obj[]) {
    const where = `panel ${p.id}`;
    // defaultPanel(): not transparent, and the repeat direction Grafana assumes (only panel 7 repeats).
    drop(p, "transparent", false, where);
    if (!p.repeat) drop(p, "repeatDirection", "h", where);
    const options = p.options as Obj;
    if (p.type === "stat") {
      // stat.defaultOptions(): Grafana's defaults for a stat panel.
      drop(options, "percentChangeColorMode", "standard", where);
      drop(options, "showPercentChange", false, where);
      drop(options, "wideLayout", true, where);
    }
    if (p.type === "state-timeline") {
      drop(options, "perPage", 20, where);
      drop(options.legend as Obj, "calcs", [], where);
    }
    // The scoreboard graph shares the other graphs' helper, which says spanNulls: false (Grafana's default).
    if (p.id === 7) {
      drop((p.fieldConfig as { defaults: { custom: Obj } }).defaults.custom, "spanNulls", false, where);
    }
    // DataqueryBuilder.range() writes `instant: false` next to `range: true`.
    for (const t of p.targets as Obj[]) {
      if (t.range === true) drop(t, "instant", false, `${where} ${t.refId}`);
    }
  }
  return out;
}

/**
 * The old template without what the SDK writes otherwise (the schema version, see above) or has no
 * reason to write: empty values Grafana fills on load.
 */
function withoutReplaced(d: Obj): Obj {
  drop(d, "schemaVersion", 39, "template");
  drop(d, "timepicker", {}, "template");
  for (const v of (d.templating as { list: Obj[] }).list) {
    drop(v, "current", {}, `template variable ${v.name}`);
    drop(v, "options", [], `template variable ${v.name}`);
    // DatasourceVariableBuilder has no refresh(): Grafana lists data sources when the dashboard loads
    // whatever refresh says.
    if (v.type === "datasource") drop(v, "refresh", 1, `template variable ${v.name}`);
  }
  return d;
}

/** id, type, title and queries of each panel: the first thing to read when the whole differs. */
function summary(d: Obj) {
  return (d.panels as {
    id: number;
    type: string;
    title: string;
    targets: { refId: string; expr: string }[];
  }[])
    .map((p) => ({
      id: p.id,
      type: p.type,
      title: p.title,
      exprs: p.targets.map((t) => `${t.refId} ${t.expr}`),
    }));
}

for (const deployment of ["qual", "prod"] as const) {
  Deno.test(`dashboard (${deployment}): the SDK's document is the old template's, apart from the SDK's listed defaults`, () => {
    const sdk = renderDashboard(deployment);
    const old = withoutReplaced(before(deployment));
    assert.equal(sdk.uid, deployment === "prod" ? "isaprod" : "isaqal");
    assert.deepEqual(summary(sdk), summary(old));
    assert.deepEqual(withoutSdkDefaults(sdk), old);
  });
}

Deno.test("the comparison sees a change: an edited expression or a moved panel fails it", () => {
  const edited = renderDashboard("qual");
  (edited.panels[1].targets as { expr: string }[])[0].expr += " * 2";
  assert.throws(() => assert.deepEqual(summary(edited), summary(withoutReplaced(before("qual")))));
  const moved = renderDashboard("qual");
  (moved.panels[3].gridPos as { x: number }).x = 0;
  assert.throws(() => assert.deepEqual(withoutSdkDefaults(moved), withoutReplaced(before("qual"))));
});
