import assert from "node:assert/strict";
import { fakeGrafana } from "../helpers/grafana_double.ts";
import { parse } from "yaml";
import {
  allPanels,
  buildPlan,
  centralQueryUrl,
  createDatasourceRequest,
  type Dashboard,
  dashboardDiff,
  dashboardQueries,
  datasourceDiff,
  type DatasourceModel,
  getDashboardRequest,
  getDatasourceRequest,
  getOrgRequest,
  GrafanaError,
  type GrafanaPlan,
  type PlanInput,
  publish,
  redactRequest,
  REMOVED_PANEL_TYPES,
  renderDashboard,
  saveDashboardRequest,
  SECURE_HASH_KEY,
  updateDatasourceRequest,
} from "../../lib/grafana/mod.ts";
import { SCOREBOARD_STATES } from "../../lib/verify/evidence.ts";

const TOKEN = "glsa_TestToken_0123456789abcdef";
const PASS = "frontend-Secret-pass";
const BEARER = "central-Bearer-xyz";
const CA = "-----BEGIN CERTIFICATE-----\nMIIBfakeCAcertificateForTests\n-----END CERTIFICATE-----\n";
const ORG = "EPFL IS-Academia";

function input(over: Partial<PlanInput> = {}): PlanInput {
  return {
    deployment: "prod",
    grafana: { url: "https://grafana.example.test/", org: ORG, dashboard_uid: "isaprod" },
    token: TOKEN,
    hosts: [
      {
        name: "isaprod01",
        fqdn: "isaprod01.example.test",
        httpsPort: 8443,
        caCertPem: CA,
        scrapeInterval: "15s",
      },
      { name: "isaprod02", fqdn: "isaprod02.example.test", httpsPort: 8443, caCertPem: CA },
    ],
    frontend: { user: "grafana", pass: PASS },
    remoteWrite: { url: "https://central.example.test/api/v1/write", auth: "bearer" },
    remoteWriteSecrets: { bearer_token: BEARER },
    ...over,
  };
}

// ---------------------------------------------------------------- dashboard

Deno.test("dashboard: modern panel types only, every target on ${datasource} and $host", () => {
  const d = renderDashboard("prod");
  const panels = allPanels(d);
  assert.ok(panels.length >= 10);
  for (const p of panels) {
    assert.ok(
      !(REMOVED_PANEL_TYPES as readonly string[]).includes(p.type),
      `panel "${p.title}" uses ${p.type}`,
    );
    assert.ok(["timeseries", "stat", "state-timeline", "bargauge", "row"].includes(p.type), p.type);
    if (p.type === "row") continue;
    assert.deepEqual(p.datasource, { type: "prometheus", uid: "${datasource}" }, `panel "${p.title}"`);
    assert.ok((p.targets ?? []).length > 0, `panel "${p.title}" has no query`);
    for (const t of p.targets ?? []) {
      assert.deepEqual(t.datasource, { type: "prometheus", uid: "${datasource}" }, `${p.title} ${t.refId}`);
      const selectors = t.expr!.match(/[a-z_:]+\{[^}]*\}/g) ?? [];
      assert.ok(selectors.length > 0, `${p.title}: ${t.expr}`);
      for (const s of selectors) assert.match(s, /instance=~"\$host"/, `${p.title}: ${s}`);
      // A bare metric name without {...} would escape the host filter.
      const bare = t.expr!.replace(/[a-z_:]+\{[^}]*\}/g, "").match(/\bapache_\w+|\bup\b(?!\s*\()/g);
      assert.equal(bare, null, `${p.title}: unfiltered metric in ${t.expr}`);
      assert.doesNotMatch(t.expr!, /\[\d+[smh]\]/, `${p.title}: use $__rate_interval, not a fixed range`);
    }
  }
});

Deno.test("dashboard: variables datasource and host", () => {
  const d = renderDashboard("qual");
  const ds = d.templating.list.find((v) => v.name === "datasource");
  assert.equal(ds?.type, "datasource");
  assert.equal(ds?.query, "prometheus");
  assert.equal(ds?.regex, "/^ISA qual /");
  const host = d.templating.list.find((v) => v.name === "host");
  assert.equal(host?.type, "query");
  assert.equal(host?.definition, "label_values(apache_up, instance)");
  assert.equal((host?.query as { query: string }).query, "label_values(apache_up, instance)");
  assert.equal(host?.multi, true);
  assert.equal(host?.includeAll, true);
  assert.deepEqual(host?.datasource, { type: "prometheus", uid: "${datasource}" });
});

Deno.test("dashboard: all 11 scoreboard states are graphed, stacked", () => {
  const d = renderDashboard("prod");
  const sb = allPanels(d).filter((p) => p.targets?.some((t) => /apache_scoreboard\{/.test(t.expr ?? "")));
  const stacked = sb.find((p) => p.type === "timeseries");
  assert.ok(stacked, "a timeseries of apache_scoreboard");
  const expr = stacked.targets![0].expr!;
  assert.doesNotMatch(expr, /state\s*[=!]/, "no state filter: every state is drawn");
  assert.equal(stacked.targets![0].legendFormat, "{{state}}");
  assert.equal(
    (stacked.fieldConfig?.defaults?.custom as { stacking: { mode: string } }).stacking.mode,
    "normal",
  );
  const named = (stacked.fieldConfig?.overrides ?? []).map((o) => o.matcher.options);
  assert.deepEqual([...named].sort(), [...SCOREBOARD_STATES].sort());
});

Deno.test("dashboard: the required metrics are all on it", () => {
  const exprs = allPanels(renderDashboard("prod")).flatMap((p) => (p.targets ?? []).map((t) => t.expr!));
  const all = exprs.join("\n");
  for (
    const re of [
      /apache_workers\{[^}]*state=~"busy\|idle"/,
      /rate\(apache_accesses_total\{[^}]*\}\[\$__rate_interval\]\)/,
      /rate\(apache_sent_kilobytes_total\{[^}]*\}\[\$__rate_interval\]\)\) \* 1024/,
      /rate\(apache_duration_ms_total\{[^}]*\}\[\$__rate_interval\]\)\)\s*\/ sum by \(instance\) \(rate\(apache_accesses_total/,
      /apache_cpuload\{/,
      /apache_uptime_seconds_total\{/,
      /resets\(apache_uptime_seconds_total\{/,
      /apache_up\{/,
      /up\{job="apache"/,
    ]
  ) assert.match(all, re);
});

Deno.test("dashboard: uid and title per deployment, each build its own", () => {
  const prod = renderDashboard("prod");
  const qual = renderDashboard("qual");
  assert.equal(prod.uid, "isaprod");
  assert.equal(prod.title, "isaprod");
  assert.equal(qual.uid, "isaqal");
  assert.equal(qual.title, "isaqal");
  assert.equal(renderDashboard("prod", { uid: "custom" }).uid, "custom");
  // A build shares nothing with the one before (the SDK's builders return their own objects).
  assert.equal(renderDashboard("qual").templating.list[0].regex, "/^ISA qual /");
  assert.equal(renderDashboard("prod").templating.list[0].regex, "/^ISA prod /");
  assert.ok(!("id" in prod) || prod.id === null || prod.id === undefined);
});

Deno.test("dashboardQueries substitutes variables and refuses unknown ones", () => {
  const qs = dashboardQueries(renderDashboard("prod"), { host: "isaprod01", __rate_interval: "30s" });
  assert.ok(qs.length >= 15);
  for (const q of qs) {
    assert.doesNotMatch(q.expr, /\$|\[\[/, q.where);
  }
  assert.ok(qs.some((q) => q.where === "variable host" && q.expr === "apache_up"));
  assert.ok(qs.some((q) => q.expr.includes('instance=~"isaprod01"') && q.expr.includes("[30s]")));
  const d = renderDashboard("prod");
  d.panels.push({ type: "stat", title: "x", targets: [{ refId: "A", expr: 'up{a="$nope"}' }] });
  assert.throws(() => dashboardQueries(d, { host: "h" }), /no value for variable \$nope/);
});

// ---------------------------------------------------------------- request builders

Deno.test("buildPlan: one data source per host plus the central store, stable uids", () => {
  const plan = buildPlan(input());
  assert.equal(plan.url, "https://grafana.example.test");
  assert.equal(plan.org, ORG);
  assert.deepEqual(plan.datasources.map((d) => d.uid), [
    "isa-isaprod01",
    "isa-isaprod02",
    "isa-central-prod",
  ]);
  const h = plan.datasources[0];
  assert.equal(h.name, "ISA prod isaprod01");
  assert.equal(h.url, "https://isaprod01.example.test:8443");
  assert.equal(h.basicAuth, true);
  assert.equal(h.basicAuthUser, "grafana");
  assert.equal(h.jsonData.tlsAuthWithCACert, true);
  assert.equal(h.jsonData.tlsSkipVerify, false);
  assert.equal(h.jsonData.timeInterval, "15s");
  assert.deepEqual(h.secureJsonData, { basicAuthPassword: PASS, tlsCACert: CA });
  assert.match(String(h.jsonData[SECURE_HASH_KEY]), /^hmac-sha256:[0-9a-f]{64}$/);
  assert.ok(!JSON.stringify(h.jsonData).includes(PASS));
  const c = plan.datasources[2];
  assert.equal(c.url, "https://central.example.test");
  assert.equal(c.basicAuth, false);
  assert.equal(c.jsonData.httpHeaderName1, "Authorization");
  assert.deepEqual(c.secureJsonData, { httpHeaderValue1: `Bearer ${BEARER}` });
  assert.equal(plan.dashboard.model.uid, "isaprod");

  const basic = buildPlan(input({
    remoteWrite: {
      url: "https://m.example.test/api/v1/push",
      auth: "basic",
      query_url: "https://m.example.test/prometheus/",
    },
    remoteWriteSecrets: { username: "u", password: "p" },
  })).datasources[2];
  assert.equal(basic.url, "https://m.example.test/prometheus");
  assert.equal(basic.basicAuth, true);
  assert.deepEqual(basic.secureJsonData, { basicAuthPassword: "p" });
  assert.equal(buildPlan(input({ remoteWrite: null })).datasources.length, 2);
  assert.throws(() => centralQueryUrl({ url: "https://m/api/v1/push", auth: "none" }), /query_url/);
  assert.throws(() => buildPlan(input({ remoteWriteSecrets: {} })), /bearer_token is required/);
  assert.throws(
    () => buildPlan(input({ hosts: [{ name: "a", fqdn: "a", httpsPort: 8443, caCertPem: "nope" }] })),
    /not a PEM certificate/,
  );
});

Deno.test("request builders: method, path, headers, body", () => {
  const plan = buildPlan(input());
  const ds = plan.datasources[0];
  const auth = { Authorization: `Bearer ${TOKEN}`, Accept: "application/json" };
  assert.deepEqual(getOrgRequest(TOKEN), { method: "GET", path: "/api/org", headers: auth });
  assert.deepEqual(getDatasourceRequest(TOKEN, "isa-isaprod01"), {
    method: "GET",
    path: "/api/datasources/uid/isa-isaprod01",
    headers: auth,
  });
  const create = createDatasourceRequest(TOKEN, ds);
  assert.equal(create.method, "POST");
  assert.equal(create.path, "/api/datasources");
  assert.equal(create.headers["Content-Type"], "application/json");
  assert.equal(create.body, ds);
  const update = updateDatasourceRequest(TOKEN, ds);
  assert.equal(update.method, "PUT");
  assert.equal(update.path, "/api/datasources/uid/isa-isaprod01");
  assert.deepEqual(getDashboardRequest(TOKEN, "isaprod").path, "/api/dashboards/uid/isaprod");
  const save = saveDashboardRequest(TOKEN, plan.dashboard.model, "folder1");
  assert.equal(save.method, "POST");
  assert.equal(save.path, "/api/dashboards/db");
  const body = save.body as { dashboard: Dashboard; overwrite: boolean; folderUid?: string };
  assert.equal(body.overwrite, true);
  assert.equal(body.folderUid, "folder1");
  assert.equal(body.dashboard.uid, "isaprod");
  assert.equal(body.dashboard.id, null);
  assert.ok(!("folderUid" in (saveDashboardRequest(TOKEN, plan.dashboard.model).body as object)));
});

Deno.test("redactRequest hides the token, passwords and every secure value", () => {
  const plan = buildPlan(input({
    remoteWrite: { url: "https://c.example.test/api/v1/write", auth: "basic" },
    remoteWriteSecrets: { username: "rw", password: "rw-Password-42" },
  }));
  const reqs = [
    getOrgRequest(TOKEN),
    ...plan.datasources.map((d) => createDatasourceRequest(TOKEN, d)),
    ...plan.datasources.map((d) => updateDatasourceRequest(TOKEN, d)),
    saveDashboardRequest(TOKEN, plan.dashboard.model),
  ];
  for (const r of reqs) {
    const text = JSON.stringify(redactRequest(r));
    for (const secret of [TOKEN, PASS, "rw-Password-42", "MIIBfake"]) {
      assert.ok(!text.includes(secret), `${r.method} ${r.path} leaks ${secret.slice(0, 4)}…`);
    }
    assert.equal(redactRequest(r).headers.Authorization, "Bearer ***");
  }
  const red = redactRequest(createDatasourceRequest(TOKEN, plan.datasources[0])).body as DatasourceModel;
  assert.deepEqual(red.secureJsonData, { basicAuthPassword: "***", tlsCACert: "***" });
  assert.equal(red.basicAuthUser, "grafana");
  assert.equal(red.url, plan.datasources[0].url);
  // The original request is left intact.
  assert.equal(plan.datasources[0].secureJsonData.basicAuthPassword, PASS);
});

// ---------------------------------------------------------------- comparison

/** What Grafana returns for a stored data source: server fields added, secure values hidden. */
function asGrafanaReturns(ds: DatasourceModel): Record<string, unknown> {
  const { secureJsonData, ...rest } = structuredClone(ds);
  return {
    id: 7,
    orgId: 1,
    typeLogoUrl: "public/app/plugins/datasource/prometheus/img/prometheus_logo.svg",
    user: "",
    database: "",
    withCredentials: false,
    version: 3,
    readOnly: false,
    ...rest,
    secureJsonFields: Object.fromEntries(Object.keys(secureJsonData).map((k) => [k, true])),
  };
}

Deno.test("datasourceDiff ignores server fields and sees secret changes through the hash", () => {
  const ds = buildPlan(input()).datasources[0];
  assert.deepEqual(datasourceDiff(asGrafanaReturns(ds), ds), []);
  const newPass = buildPlan(input({ frontend: { user: "grafana", pass: "another-Pass-1" } })).datasources[0];
  assert.deepEqual(datasourceDiff(asGrafanaReturns(ds), newPass), [`jsonData.${SECURE_HASH_KEY}`]);
  const newCa = buildPlan(input({ hosts: [{ ...input().hosts[0], caCertPem: CA.replace("fake", "other") }] }))
    .datasources[0];
  assert.deepEqual(datasourceDiff(asGrafanaReturns(ds), newCa), [`jsonData.${SECURE_HASH_KEY}`]);
  const moved = { ...asGrafanaReturns(ds), url: "https://elsewhere:8443" };
  assert.deepEqual(datasourceDiff(moved, ds), ["url"]);
  const lostSecret = { ...asGrafanaReturns(ds), secureJsonFields: { basicAuthPassword: true } };
  assert.deepEqual(datasourceDiff(lostSecret, ds), ["secureJsonData.tlsCACert"]);
  const extra = asGrafanaReturns(ds);
  (extra.jsonData as Record<string, unknown>).tlsSkipVerify = true;
  assert.deepEqual(datasourceDiff(extra, ds), ["jsonData.tlsSkipVerify"]);
});

Deno.test("dashboardDiff ignores id and version, sees edits and folder moves", () => {
  const d = renderDashboard("prod");
  const remote = { dashboard: { ...structuredClone(d), id: 12, version: 5 }, meta: { folderUid: "f1" } };
  assert.deepEqual(dashboardDiff(remote, d), []);
  assert.deepEqual(dashboardDiff(remote, d, "f1"), []);
  assert.deepEqual(dashboardDiff(remote, d, "f2"), ["folder"]);
  const edited = structuredClone(remote);
  (edited.dashboard.panels as { title: string }[])[0].title = "edited by hand";
  assert.deepEqual(dashboardDiff(edited, d), ["panels"]);
});

// ---------------------------------------------------------------- publish against a Grafana test double

function planFor(url: string, over: Partial<PlanInput> = {}): GrafanaPlan {
  const i = input(over);
  return buildPlan({ ...i, grafana: { ...i.grafana, url } });
}

Deno.test("publish creates everything, then a second run sends only GETs", async () => {
  const g = fakeGrafana({ token: TOKEN, org: ORG });
  try {
    const lines: string[] = [];
    const first = await publish(planFor(g.url), fetch, { log: (l) => lines.push(l) });
    assert.deepEqual(first.map((a) => `${a.kind} ${a.uid} ${a.action}`), [
      "datasource isa-isaprod01 create",
      "datasource isa-isaprod02 create",
      "datasource isa-central-prod create",
      "dashboard isaprod create",
    ]);
    assert.equal(g.datasources.size, 3);
    assert.equal(g.dashboards.get("isaprod")?.dashboard.title, "isaprod");
    assert.equal(g.requests.filter((r) => r.method === "POST").length, 4);
    const sent = g.requests.find((r) => r.method === "POST" && r.path === "/api/datasources")!
      .body as DatasourceModel;
    assert.equal(sent.secureJsonData.basicAuthPassword, PASS);
    for (const l of lines) assert.ok(!l.includes(TOKEN) && !l.includes(PASS), l);

    g.requests.length = 0;
    const second = await publish(planFor(g.url));
    assert.ok(second.every((a) => a.action === "unchanged"), JSON.stringify(second));
    assert.deepEqual(new Set(g.requests.map((r) => r.method)), new Set(["GET"]));
    assert.equal(g.requests.length, 1 + 3 + 1);
  } finally {
    await g.close();
  }
});

Deno.test("publish updates only what changed: a new password, a hand-edited dashboard", async () => {
  const g = fakeGrafana({ token: TOKEN, org: ORG });
  try {
    await publish(planFor(g.url));
    const stored = g.dashboards.get("isaprod")!;
    (stored.dashboard.panels as { title: string }[])[0].title = "edited by hand";
    g.requests.length = 0;
    const actions = await publish(planFor(g.url, { frontend: { user: "grafana", pass: "rotated-Pass-2" } }));
    assert.deepEqual(actions.map((a) => `${a.uid} ${a.action} ${a.fields.join(",")}`), [
      `isa-isaprod01 update jsonData.${SECURE_HASH_KEY}`,
      `isa-isaprod02 update jsonData.${SECURE_HASH_KEY}`,
      "isa-central-prod unchanged ",
      "isaprod update panels",
    ]);
    assert.deepEqual(
      g.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`),
      [
        "PUT /api/datasources/uid/isa-isaprod01",
        "PUT /api/datasources/uid/isa-isaprod02",
        "POST /api/dashboards/db",
      ],
    );
    assert.equal(g.datasources.get("isa-isaprod01")?.version, 2);
    assert.equal((g.dashboards.get("isaprod")!.dashboard.panels as { title: string }[])[0].title, "Apache");
  } finally {
    await g.close();
  }
});

Deno.test("publish dry run reads only", async () => {
  const g = fakeGrafana({ token: TOKEN, org: ORG });
  try {
    const actions = await publish(planFor(g.url), fetch, { dryRun: true });
    assert.ok(actions.every((a) => a.action === "create"));
    assert.deepEqual(new Set(g.requests.map((r) => r.method)), new Set(["GET"]));
    assert.equal(g.datasources.size, 0);
  } finally {
    await g.close();
  }
});

Deno.test("publish errors: bad token, wrong organisation, name clash, unreachable", async () => {
  const g = fakeGrafana({ token: "the-real-token", org: "Someone Else" });
  try {
    await assert.rejects(publish(planFor(g.url)), (e: Error) => {
      assert.ok(e instanceof GrafanaError);
      assert.match(e.message, /refused the token \(401 on GET \/api\/org\): bad token/);
      assert.ok(!e.message.includes(TOKEN));
      return true;
    });
    await assert.rejects(
      publish(planFor(g.url, { token: "the-real-token" })),
      /organisation "EPFL IS-Academia" not found for this token: it belongs to "Someone Else"/,
    );
  } finally {
    await g.close();
  }

  const g2 = fakeGrafana({ token: TOKEN, org: ORG });
  try {
    g2.datasources.set("manual", { uid: "manual", name: "ISA prod isaprod01", jsonData: {} });
    await assert.rejects(
      publish(planFor(g2.url)),
      /a data source named "ISA prod isaprod01" already exists with uid manual, not isa-isaprod01/,
    );
  } finally {
    await g2.close();
  }

  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await assert.rejects(
    publish(planFor(`http://127.0.0.1:${port}`)),
    new RegExp(`^GrafanaError: Grafana unreachable at http://127\\.0\\.0\\.1:${port}: `),
  );
});

Deno.test("publish: a non-JSON answer points at grafana.url", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("<html>login</html>", { status: 200, headers: { "content-type": "text/html" } }),
  );
  try {
    await assert.rejects(
      publish(planFor(`http://127.0.0.1:${server.addr.port}`)),
      /answered 200 with no JSON: is grafana.url the Grafana root\?/,
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("alerts.yml parses as a rule file with the expected alerts", async () => {
  const doc = parse(
    await Deno.readTextFile(new URL("../../files/prometheus/alerts.yml", import.meta.url)),
  ) as {
    groups: { rules: { alert?: string }[] }[];
  };
  const names = doc.groups.flatMap((g) => g.rules.map((r) => r.alert)).sort();
  assert.deepEqual(names, [
    "ApacheDown",
    "ApacheRestarted",
    "ExporterDown",
    "PrometheusSelfScrapeDown",
    "Watchdog",
    "WorkersSaturated",
  ]);
});
