import assert from "node:assert/strict";
import { until } from "../helpers/until.ts";
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

Deno.test("dashboard: uid and title per deployment, template untouched", () => {
  const prod = renderDashboard("prod");
  const qual = renderDashboard("qual");
  assert.equal(prod.uid, "isaprod");
  assert.equal(prod.title, "isaprod");
  assert.equal(qual.uid, "isaqal");
  assert.equal(qual.title, "isaqal");
  assert.equal(renderDashboard("prod", { uid: "custom" }).uid, "custom");
  // Rendering must not mutate the shared template.
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

// ---------------------------------------------------------------- dashboard queries against a real Prometheus

/** Fails clearly when a binary CI installs is missing, rather than skipping. */
async function need(bin: string, pkg: string): Promise<void> {
  try {
    await new Deno.Command(bin, { args: ["--version"], stdout: "null", stderr: "null" }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        `${bin} is not installed: apt-get install -y ${pkg} (CI installs it; this test does not skip)`,
      );
    }
    throw e;
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A child process whose output is kept for failure messages. */
function spawn(bin: string, args: string[]) {
  const child = new Deno.Command(bin, { args, stdin: "null", stdout: "piped", stderr: "piped" }).spawn();
  let log = "";
  const dec = new TextDecoder();
  const drain = (s: ReadableStream<Uint8Array>) =>
    s.pipeTo(new WritableStream({ write: (c) => void (log = (log + dec.decode(c)).slice(-4000)) }));
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  return {
    log: () => log,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await drained;
    },
  };
}

/** A realistic mod_status `?auto` page (ExtendedStatus On, event MPM) whose counters grow. */
function serverStatus(n: number, startedAt: number): string {
  const uptime = 3600 + Math.floor((Date.now() - startedAt) / 1000);
  const scoreboard = "_".repeat(38) + "SRRWWWWKKKDCLGI" + "W".repeat(n % 3) + ".".repeat(90);
  const busy = [...scoreboard].filter((c) => c !== "_" && c !== "." && c !== "I").length;
  return [
    "127.0.0.1",
    "ServerVersion: Apache/2.4.62 (Debian)",
    "ServerMPM: event",
    "Server Built: 2024-10-04T15:21:08",
    "ParentServerConfigGeneration: 1",
    "ParentServerMPMGeneration: 0",
    `ServerUptimeSeconds: ${uptime}`,
    "Load1: 0.10",
    "Load5: 0.08",
    "Load15: 0.05",
    `Total Accesses: ${120000 + 17 * n}`,
    `Total kBytes: ${640000 + 93 * n}`,
    `Total Duration: ${4200000 + 17 * 38 * n}`,
    `CPUUser: ${(12.5 + 0.03 * n).toFixed(2)}`,
    `CPUSystem: ${(3.2 + 0.01 * n).toFixed(2)}`,
    "CPUChildrenUser: 0",
    "CPUChildrenSystem: 0",
    "CPULoad: .436111",
    `Uptime: ${uptime}`,
    "ReqPerSec: 33.3",
    "BytesPerSec: 182044",
    "BytesPerReq: 5461.3",
    "DurationPerReq: 35.0",
    `BusyWorkers: ${busy}`,
    `IdleWorkers: ${38}`,
    "Processes: 3",
    "Stopping: 0",
    "ConnsTotal: 12",
    "ConnsAsyncWriting: 0",
    "ConnsAsyncKeepAlive: 3",
    "ConnsAsyncClosing: 1",
    `Scoreboard: ${scoreboard}`,
    "",
  ].join("\n");
}

interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

async function promQuery(base: string, path: string, params: Record<string, string>): Promise<PromSeries[]> {
  const res = await fetch(`${base}${path}?${new URLSearchParams(params)}`);
  const body = await res.json();
  if (body.status !== "success") throw new Error(`${params.query}: ${body.errorType}: ${body.error}`);
  const data = body.data as { resultType: string; result: PromSeries[] | [number, string] };
  if (data.resultType === "scalar") return [{ metric: {}, value: data.result as [number, string] }];
  return data.result as PromSeries[];
}

Deno.test({
  name: "every dashboard query returns data for the host from a real Prometheus and apache_exporter",
  sanitizeResources: true,
  sanitizeOps: true,
  async fn() {
    await need("prometheus", "prometheus");
    await need("prometheus-apache-exporter", "prometheus-apache-exporter");
    const startedAt = Date.now();
    let hits = 0;
    const apache = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      const url = new URL(req.url);
      // The second host's Apache denies /server-status: the exporter then reports apache_up 1, no scoreboard.
      if (url.pathname === "/forbidden/server-status") return new Response("Forbidden", { status: 403 });
      return new Response(serverStatus(hits++, startedAt), { headers: { "content-type": "text/plain" } });
    });
    const dir = await Deno.makeTempDir({ prefix: "isa-grafana-test-" });
    const procs: { stop: () => Promise<void>; log: () => string }[] = [];
    try {
      const apacheUrl = `http://127.0.0.1:${apache.addr.port}`;
      const exp1 = freePort();
      procs.push(spawn("prometheus-apache-exporter", [
        `--scrape_uri=${apacheUrl}/server-status?auto`,
        `--telemetry.address=127.0.0.1:${exp1}`,
      ]));
      const exp2 = freePort();
      procs.push(spawn("prometheus-apache-exporter", [
        `--scrape_uri=${apacheUrl}/forbidden/server-status?auto`,
        `--telemetry.address=127.0.0.1:${exp2}`,
      ]));
      const promPort = freePort();
      const rules = new URL("../../files/prometheus/alerts.yml", import.meta.url).pathname;
      // Same shape as a host's Prometheus: job names apache and prometheus, instance = inventory name.
      const config = {
        global: { scrape_interval: "1s", evaluation_interval: "1s" },
        rule_files: [rules],
        scrape_configs: [
          {
            job_name: "apache",
            static_configs: [
              { targets: [`127.0.0.1:${exp1}`], labels: { instance: "isatest01" } },
              { targets: [`127.0.0.1:${exp2}`], labels: { instance: "isatest02" } },
            ],
          },
          {
            job_name: "prometheus",
            static_configs: [{ targets: [`127.0.0.1:${promPort}`], labels: { instance: "isatest01" } }],
          },
        ],
      };
      await Deno.writeTextFile(`${dir}/prometheus.yml`, JSON.stringify(config));
      const prom = spawn("prometheus", [
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/data`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        "--log.level=warn",
      ]);
      procs.push(prom);
      const base = `http://127.0.0.1:${promPort}`;

      try {
        await until("three scrapes of isatest01", 60_000, async () => {
          const r = await promQuery(base, "/api/v1/query", {
            query: 'count_over_time(apache_accesses_total{instance="isatest01"}[1m])',
          });
          return r.length && Number(r[0].value![1]) >= 3 ? true : undefined;
        });
      } catch (e) {
        throw new Error(
          `${(e as Error).message}\nprometheus log:\n${prom.log()}\nexporter:\n${procs[0].log()}`,
        );
      }

      const d = renderDashboard("qual");
      const vars = { host: "isatest01", __rate_interval: "30s", __interval: "2s", __range: "5m" };
      const queries = dashboardQueries(d, vars);
      assert.ok(queries.length >= 15);
      const now = Date.now() / 1000;
      for (const q of queries) {
        const instant = await promQuery(base, "/api/v1/query", { query: q.expr });
        assert.ok(instant.length > 0, `${q.where}: no data for ${q.expr}`);
        const instances = new Set(instant.map((s) => s.metric.instance));
        if (q.where.startsWith("variable ")) {
          assert.ok(instances.has("isatest01"), `${q.where}: ${[...instances]}`);
        } else {
          assert.deepEqual([...instances], ["isatest01"], `${q.where}: instance label of ${q.expr}`);
          for (const s of instant) assert.ok(Number.isFinite(Number(s.value![1])), `${q.where}: ${s.value}`);
        }
        const range = await promQuery(base, "/api/v1/query_range", {
          query: q.expr,
          start: String(now - 10),
          end: String(now),
          step: "2",
        });
        assert.ok(range.length > 0, `${q.where}: no range data for ${q.expr}`);
      }

      const sb = await promQuery(base, "/api/v1/query", {
        query: dashboardQueries(d, vars).find((q) => q.raw.startsWith("apache_scoreboard{"))!.expr,
      });
      assert.deepEqual(sb.map((s) => s.metric.state).sort(), [...SCOREBOARD_STATES].sort());

      // The Apache status panel: Up for the healthy host, Down for the one answering 403.
      const status = allPanels(d).find((p) => p.title === "Apache")!.targets![0].expr!;
      for (const [host, want] of [["isatest01", "1"], ["isatest02", "0"]]) {
        const r = await promQuery(base, "/api/v1/query", { query: status.replaceAll("$host", host) });
        assert.deepEqual(r.map((s) => s.value![1]), [want], `Apache status of ${host}`);
      }

      // The real Prometheus loads alerts.yml, evaluates every rule without error, and ApacheDown is
      // pending (its for: 5m has not elapsed) for the 403 host only.
      await until("every rule evaluated", 30_000, async () => {
        const res = await (await fetch(`${base}/api/v1/rules`)).json();
        const rs = res.data.groups.flatMap((g: { rules: unknown[] }) => g.rules) as {
          name: string;
          health: string;
          lastError?: string;
        }[];
        assert.ok(rs.length >= 5);
        for (const r of rs) assert.notEqual(r.health, "err", `${r.name}: ${r.lastError}`);
        return rs.every((r) => r.health === "ok") ? true : undefined;
      });
      const pending = await until("ApacheDown pending for isatest02", 30_000, async () => {
        const res = await (await fetch(`${base}/api/v1/alerts`)).json();
        const as = res.data.alerts as { labels: Record<string, string>; state: string }[];
        return as.some((a) => a.labels.alertname === "ApacheDown") ? as : undefined;
      });
      assert.deepEqual(
        pending.filter((a) => a.labels.alertname === "ApacheDown").map((a) =>
          `${a.labels.instance} ${a.state}`
        ),
        ["isatest02 pending"],
      );
      assert.ok(!pending.some((a) => a.labels.alertname === "ExporterDown"));
    } finally {
      for (const p of procs.reverse()) await p.stop();
      await apache.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
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
    "WorkersSaturated",
  ]);
});
