/** Rendering of the `alerting` variable, its secrets and the lab's `alert_for_max` (no promtool here). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { UsageError } from "../../lib/base/errors.ts";
import { alertingCaPath, alertingCaText } from "../../lib/inventory/alerting_ca.ts";
import { loadInventory } from "../../lib/inventory/load.ts";
import { parseSecrets } from "../../lib/inventory/secrets.ts";
import {
  durationMs,
  type PrometheusConfigInput,
  renderAlerts,
  renderPrometheusConfig,
} from "../../lib/render/prometheus_config.ts";
import { prometheusTemplate } from "../../lib/steps/shipped_files.ts";

function input(over: Partial<PrometheusConfigInput>): PrometheusConfigInput {
  return {
    template: prometheusTemplate(),
    hostName: "isaweb01",
    deployment: "prod",
    scrapeInterval: "15s",
    frontend: "traefik",
    fqdn: "isaweb01.example.org",
    alerts: true,
    remoteWrite: null,
    alerting: null,
    ...over,
  };
}

Deno.test("no alerting variable, no alerting section", () => {
  assert.equal(parse(renderPrometheusConfig(input({}))).alerting, undefined);
});

Deno.test("an http Alertmanager gets no tls_config; the port defaults by scheme", () => {
  const doc = parse(renderPrometheusConfig(input({
    alerting: { alertmanagers: ["http://10.209.9.201:9093", "http://am.lab"], auth: "none" },
  })));
  const [a, b] = doc.alerting.alertmanagers;
  assert.equal(a.scheme, "http");
  assert.deepEqual(a.static_configs, [{ targets: ["10.209.9.201:9093"] }]);
  assert.equal(a.tls_config, undefined);
  assert.equal(a.basic_auth, undefined);
  assert.equal(a.authorization, undefined);
  assert.deepEqual(b.static_configs, [{ targets: ["am.lab:80"] }]);
});

Deno.test("alerting: refused when empty, with credentials in the URL, or basic auth without a user", () => {
  const render = (alerting: PrometheusConfigInput["alerting"], user?: string) => () =>
    renderPrometheusConfig(input({ alerting, alertingUsername: user }));
  assert.throws(render({ alertmanagers: [], auth: "none" }), /at least one URL/);
  assert.throws(render({ alertmanagers: ["https://u:p@am.example.org"], auth: "none" }), /credentials/);
  assert.throws(render({ alertmanagers: ["https://am.example.org"], auth: "basic" }), /alerting\.username/);
  const ok = parse(renderPrometheusConfig(input({
    alerting: { alertmanagers: ["https://am.example.org"], auth: "basic" },
    alertingUsername: "prom",
  })));
  assert.equal(ok.alerting.alertmanagers[0].basic_auth.username, "prom");
});

Deno.test("remote_write carries the deliberate queue settings, retrying on 429", () => {
  const doc = parse(renderPrometheusConfig(input({
    remoteWrite: { url: "https://central.example.org/api/v1/write", auth: "none" },
  })));
  // The values themselves, not the constant the renderer copies: Prometheus 3.x's defaults, so the
  // lab's 2.42 behaves as production; max_backoff bounds the resume after an outage.
  assert.deepEqual(doc.remote_write[0].queue_config, {
    capacity: 10000,
    max_shards: 50,
    min_shards: 1,
    max_samples_per_send: 2000,
    batch_send_deadline: "5s",
    min_backoff: "30ms",
    max_backoff: "5s",
    retry_on_http_429: true,
  });
  // Keys 2.42 rejects (UnmarshalStrict) must not appear: the lab runs 2.42.
  assert.equal(doc.remote_write[0].queue_config.sample_age_limit, undefined);
});

Deno.test("durations: Prometheus' forms, and garbage refused", () => {
  assert.equal(durationMs("30s"), 30_000);
  assert.equal(durationMs("1h30m"), 5_400_000);
  assert.equal(durationMs("250ms"), 250);
  assert.throws(() => durationMs("5 minutes"), /not a duration/);
  assert.throws(() => durationMs("5m!"), /not a duration/);
});

Deno.test("alert_for_max cuts only longer for: durations; null leaves the text untouched", () => {
  const text = `groups:
  - name: g
    rules:
      - alert: Long
        expr: up == 0
        for: 5m
      - alert: Short
        expr: up == 0
        for: 10s
      - alert: Now
        expr: vector(1)
`;
  assert.equal(renderAlerts(text, null), text);
  const rules = parse(renderAlerts(text, "30s")).groups[0].rules;
  assert.deepEqual(rules.map((r: { for?: string }) => r.for), ["30s", "10s", undefined]);
});

Deno.test("secrets: alerting credentials are parsed like remote_write's, unknown fields refused", () => {
  const base = "frontend:\n  credentials: [{user: ops, pass: long-enough-pass}]\n";
  const s = parseSecrets(base + "alerting:\n  username: prom\n  password: am-password-1\n", "s.yml");
  assert.deepEqual(s.alerting, { username: "prom", password: "am-password-1" });
  assert.throws(
    () => parseSecrets(base + "alerting:\n  token: x\n", "s.yml"),
    (e: Error) => e instanceof UsageError && /unknown key 'token' in alerting/.test(e.message),
  );
});

Deno.test("inventory: alerting and alert_for_max load, a relative ca_file is found next to the inventory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "inv.yml");
    await Deno.writeTextFile(
      file,
      `deployment: prod
vars:
  alerting:
    alertmanagers: [https://am1.example.org:9093]
    auth: bearer
    ca_file: am-ca.pem
hosts:
  isaweb01:
    vars:
      alert_for_max: 30s
  isaweb02:
`,
    );
    const inv = await loadInventory(file);
    const [a, b] = inv.hosts;
    assert.deepEqual(a.vars.alerting?.alertmanagers, ["https://am1.example.org:9093"]);
    assert.equal(a.vars.alert_for_max, "30s");
    assert.equal(b.vars.alert_for_max, null, "the default keeps the documented durations");
    assert.equal(alertingCaPath(a), join(dir, "am-ca.pem"));
    await assert.rejects(alertingCaText(a), /cannot read/);
    await Deno.writeTextFile(join(dir, "am-ca.pem"), "not a cert");
    await assert.rejects(alertingCaText(a), /no PEM certificate/);
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    await Deno.writeTextFile(join(dir, "am-ca.pem"), pem);
    assert.equal(await alertingCaText(a), pem);
    await Deno.writeTextFile(join(dir, "am-ca.pem"), pem + "-----BEGIN PRIVATE KEY-----\n");
    await assert.rejects(alertingCaText(a), /private key/);

    const text = await Deno.readTextFile(file);
    await Deno.writeTextFile(file, text.replace("auth: bearer", "auth: token"));
    await assert.rejects(loadInventory(file), /auth/);
    // The credentials travel to the Alertmanagers: https only, like every credential URL.
    await Deno.writeTextFile(file, text.replace("https://am1", "http://am1"));
    await assert.rejects(loadInventory(file), /alerting\.alertmanagers\[0\] 'http:\/\/am1.* is not https/);
    await Deno.writeTextFile(
      file,
      text.replace("alertmanagers: [https://am1.example.org:9093]", "alertmanagers: []"),
    );
    await assert.rejects(loadInventory(file), /alertmanagers/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
