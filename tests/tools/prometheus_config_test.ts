import assert from "node:assert/strict";
import $ from "dax";
import { parse } from "yaml";
import { subjectAltNames } from "../../lib/steps/certificate.ts";
import { makeCertificate } from "../../lib/commands/certificate.ts";
import { hashCredentials } from "../../lib/render/htpasswd.ts";
import { PROMETHEUS_SECRET_FILES } from "../../lib/inventory/paths.ts";
import {
  ALERTING_CA_FILE,
  type PrometheusConfigInput,
  renderAlerts,
  renderPrometheusConfig,
} from "../../lib/render/prometheus_config.ts";
import { renderWebConfig, SECURITY_HEADERS, SELF_SCRAPE_USER } from "../../lib/render/web_config.ts";
import { prometheusTemplate, shippedAlerts } from "../../lib/steps/shipped_files.ts";

const FQDN = "isa-test.example.org";
const RW_PASSWORD = "rw-Secret-Password-1";
const ALERTS = `groups:
  - name: test
    rules:
      - alert: ApacheDown
        expr: apache_up == 0
        for: 5m
`;

function input(over: Partial<PrometheusConfigInput>): PrometheusConfigInput {
  return {
    template: prometheusTemplate(),
    hostName: "isaqal09",
    deployment: "qual",
    scrapeInterval: "15s",
    frontend: "traefik",
    fqdn: FQDN,
    alerts: true,
    remoteWrite: null,
    alerting: null,
    ...over,
  };
}

/** A temp folder laid out like `<install_dir>/prometheus`, with the files prometheus.yml refers to. */
async function layout(): Promise<{ dir: string; ssl: string }> {
  const dir = await Deno.makeTempDir({ prefix: "isa-test-prom-" });
  const ssl = `${dir}/ssl`;
  await Deno.mkdir(`${dir}/secrets`, { mode: 0o700 });
  await Deno.writeTextFile(`${dir}/alerts.yml`, ALERTS);
  for (const f of Object.values(PROMETHEUS_SECRET_FILES)) {
    await Deno.writeTextFile(`${dir}/${f}`, RW_PASSWORD, { mode: 0o600 });
  }
  // The same script the deploy runs on the host, run here with the local sh and openssl.
  const script = makeCertificate(
    { sslDir: ssl, cert: `${ssl}/cert.pem`, key: `${ssl}/key.pem` },
    FQDN,
    subjectAltNames(FQDN, "isaqal09", "127.0.0.1"),
    `${Deno.uid()}:${Deno.gid()}`,
  ).script;
  await $`sh -s`.stdinText(script).quiet();
  return { dir, ssl };
}

async function promtool(...args: string[]): Promise<{ code: number; out: string }> {
  const r = await $`promtool ${args}`.stdout("piped").stderr("piped").noThrow();
  return { code: r.code, out: r.stdout + r.stderr };
}

Deno.test("prometheus.yml (traefik frontend, bearer remote_write) passes the real promtool check config", async () => {
  const { dir, ssl } = await layout();
  try {
    const text = renderPrometheusConfig(input({
      remoteWrite: { url: "https://central.example.org/api/v1/write", auth: "bearer" },
      dirs: { config: dir, ssl },
    }));
    await Deno.writeTextFile(`${dir}/prometheus.yml`, text);
    const r = await promtool("check", "config", `${dir}/prometheus.yml`);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /1 rules found/);
    const doc = parse(text);
    assert.deepEqual(doc.remote_write[0].authorization, {
      type: "Bearer",
      credentials_file: `${dir}/${PROMETHEUS_SECRET_FILES.remoteWriteToken}`,
    });
    // Traefik mode: plain self-scrape on the container's own port.
    const self = doc.scrape_configs.find((j: { job_name: string }) => j.job_name === "prometheus");
    assert.equal(self.scheme, undefined);
    assert.deepEqual(self.static_configs[0].targets, ["localhost:9090"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prometheus.yml (native frontend, basic remote_write) passes promtool; secrets are only in files", async () => {
  const { dir, ssl } = await layout();
  try {
    const text = renderPrometheusConfig(input({
      frontend: "native",
      remoteWrite: { url: "https://central.example.org/api/v1/write", auth: "basic" },
      remoteWriteUsername: "isa-writer",
      dirs: { config: dir, ssl },
    }));
    await Deno.writeTextFile(`${dir}/prometheus.yml`, text);
    const r = await promtool("check", "config", `${dir}/prometheus.yml`);
    assert.equal(r.code, 0, r.out);
    assert.ok(!text.includes(RW_PASSWORD), "no password in prometheus.yml");
    const doc = parse(text);
    assert.deepEqual(doc.remote_write[0].basic_auth, {
      username: "isa-writer",
      password_file: `${dir}/${PROMETHEUS_SECRET_FILES.remoteWritePassword}`,
    });
    assert.equal(doc.remote_write[0].basic_auth.password, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prometheus.yml with two Alertmanagers (basic auth, CA file) and remote_write passes promtool check config", async () => {
  const { dir, ssl } = await layout();
  try {
    await Deno.copyFile(`${ssl}/cert.pem`, `${dir}/${ALERTING_CA_FILE}`);
    const text = renderPrometheusConfig(input({
      frontend: "native",
      remoteWrite: { url: "https://central.example.org/api/v1/write", auth: "basic" },
      remoteWriteUsername: "isa-writer",
      alerting: {
        alertmanagers: ["https://am1.example.org:9093", "https://am2.example.org/alertmanager/"],
        auth: "basic",
        ca_file: "ca.pem",
      },
      alertingUsername: "isa-alerts",
      dirs: { config: dir, ssl },
    }));
    await Deno.writeTextFile(`${dir}/prometheus.yml`, text);
    const r = await promtool("check", "config", `${dir}/prometheus.yml`);
    assert.equal(r.code, 0, r.out);
    assert.ok(!text.includes(RW_PASSWORD), "no password in prometheus.yml");
    const doc = parse(text);
    const auth = {
      username: "isa-alerts",
      password_file: `${dir}/${PROMETHEUS_SECRET_FILES.alertingPassword}`,
    };
    const tls = { ca_file: `${dir}/${ALERTING_CA_FILE}`, insecure_skip_verify: false };
    assert.deepEqual(doc.alerting.alertmanagers, [
      {
        scheme: "https",
        api_version: "v2",
        timeout: "10s",
        static_configs: [{ targets: ["am1.example.org:9093"] }],
        basic_auth: auth,
        tls_config: tls,
      },
      {
        scheme: "https",
        api_version: "v2",
        timeout: "10s",
        static_configs: [{ targets: ["am2.example.org:443"] }],
        path_prefix: "/alertmanager",
        basic_auth: auth,
        tls_config: tls,
      },
    ]);
    // External labels that let a shared Alertmanager tell hosts and deployments apart.
    assert.deepEqual(doc.global.external_labels, { host: "isaqal09", deployment: "qual" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prometheus.yml with a bearer-token Alertmanager and no CA file passes promtool; TLS still verified", async () => {
  const { dir, ssl } = await layout();
  try {
    const text = renderPrometheusConfig(input({
      alerting: { alertmanagers: ["https://am1.example.org:9093"], auth: "bearer" },
      dirs: { config: dir, ssl },
    }));
    await Deno.writeTextFile(`${dir}/prometheus.yml`, text);
    const r = await promtool("check", "config", `${dir}/prometheus.yml`);
    assert.equal(r.code, 0, r.out);
    const am = parse(text).alerting.alertmanagers[0];
    assert.deepEqual(am.authorization, {
      type: "Bearer",
      credentials_file: `${dir}/${PROMETHEUS_SECRET_FILES.alertingToken}`,
    });
    assert.deepEqual(am.tls_config, { insecure_skip_verify: false }, "the system CAs, verified");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("alerts.yml with every for: capped (the lab's alert_for_max) passes promtool check rules", async () => {
  const shipped = shippedAlerts()!;
  const dir = await Deno.makeTempDir({ prefix: "isa-test-alerts-" });
  try {
    const capped = renderAlerts(shipped, "20s");
    await Deno.writeTextFile(`${dir}/alerts.yml`, capped);
    const r = await promtool("check", "rules", `${dir}/alerts.yml`);
    assert.equal(r.code, 0, r.out);
    const fors = (doc: string) =>
      (parse(doc).groups as { rules: { alert: string; for?: string }[] }[]).flatMap((g) =>
        g.rules.map((x) => [x.alert, x.for ?? null])
      );
    const before = fors(shipped);
    assert.ok(before.some(([, f]) => f === "5m"), "the shipped rules have 5m durations");
    assert.deepEqual(fors(capped), before.map(([a, f]) => [a, f === null ? null : "20s"]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every job labels its series instance=<inventory name>; external labels name host and deployment", () => {
  const doc = parse(
    renderPrometheusConfig(input({ deployment: "prod", hostName: "isaprd03", alerts: false })),
  );
  assert.deepEqual(doc.global.external_labels, { host: "isaprd03", deployment: "prod" });
  assert.deepEqual(doc.rule_files, []);
  const jobs = doc.scrape_configs as {
    job_name: string;
    honor_labels: boolean;
    static_configs: { targets: string[]; labels: Record<string, string> }[];
  }[];
  assert.deepEqual(jobs.map((j) => j.job_name), ["apache", "prometheus"]);
  for (const j of jobs) {
    assert.equal(j.honor_labels, false);
    for (const sc of j.static_configs) assert.equal(sc.labels.instance, "isaprd03");
  }
  assert.deepEqual(jobs[0].static_configs[0].targets, ["apache_exporter:9117"]);
  assert.equal(doc.remote_write, undefined);
});

Deno.test("the container paths are the defaults", () => {
  const doc = parse(renderPrometheusConfig(input({ frontend: "native", alerts: true })));
  assert.deepEqual(doc.rule_files, ["/etc/prometheus/alerts.yml"]);
  const self = doc.scrape_configs[1];
  assert.equal(self.tls_config.ca_file, "/etc/isa-ssl/cert.pem");
  assert.equal(self.basic_auth.password_file, "/etc/prometheus/secrets/self_scrape_password");
});

Deno.test("remote_write basic without a user name is refused", () => {
  assert.throws(
    () => renderPrometheusConfig(input({ remoteWrite: { url: "https://x.example/w", auth: "basic" } })),
    /remote_write.username/,
  );
});

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** GET over HTTPS, verifying our certificate by name; credentials travel on curl's stdin config. */
async function get(
  ssl: string,
  port: number,
  path: string,
  cred?: string,
): Promise<{ code: number; body: string }> {
  const r =
    await $`curl -sS --max-time 5 --cacert ${ssl}/cert.pem --resolve ${FQDN}:${port}:127.0.0.1 -w ${"\n%{http_code}"} -K - ${`https://${FQDN}:${port}${path}`}`
      .stdinText(cred ? `user = "${cred}"\n` : "")
      .stdout("piped").stderr("piped").noThrow();
  const i = r.stdout.lastIndexOf("\n");
  return { code: Number(r.stdout.slice(i + 1)), body: r.stdout.slice(0, i) };
}

Deno.test("web.yml: the real prometheus serves HTTPS with basic auth on 127.0.0.1 and scrapes itself", async () => {
  const { dir, ssl } = await layout();
  const port = freePort();
  const selfPass = "self-scrape-" + crypto.randomUUID();
  await Deno.writeTextFile(`${dir}/${PROMETHEUS_SECRET_FILES.selfScrapePassword}`, selfPass, { mode: 0o600 });
  const users = await hashCredentials([{ user: "alice", pass: "alice-password" }, {
    user: SELF_SCRAPE_USER,
    pass: selfPass,
  }], new Map());
  await Deno.writeTextFile(
    `${dir}/web.yml`,
    renderWebConfig({ certFile: `${ssl}/cert.pem`, keyFile: `${ssl}/key.pem`, users }),
  );
  // The self-scrape targets localhost:9090 in the container; here Prometheus listens elsewhere.
  const config = renderPrometheusConfig(
    input({ frontend: "native", scrapeInterval: "1s", dirs: { config: dir, ssl } }),
  )
    .replace('"localhost:9090"', `"127.0.0.1:${port}"`);
  await Deno.writeTextFile(`${dir}/prometheus.yml`, config);
  const wc = await promtool("check", "web-config", `${dir}/web.yml`);
  assert.equal(wc.code, 0, wc.out);

  const child = new Deno.Command("prometheus", {
    args: [
      `--config.file=${dir}/prometheus.yml`,
      `--web.config.file=${dir}/web.yml`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${dir}/data`,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let logged = "";
  (async () => {
    for (let r = await log.read(); !r.done; r = await log.read()) logged += r.value;
  })();
  try {
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      ready = (await get(ssl, port, "/-/ready", "alice:alice-password")).code;
    }
    assert.equal(ready, 200, `prometheus never became ready:\n${logged}`);
    assert.equal((await get(ssl, port, "/-/ready")).code, 401, "no credentials → 401");
    assert.equal((await get(ssl, port, "/-/ready", "alice:wrong-password")).code, 401, "bad password → 401");
    // Security headers on the HTTPS endpoint, the 401 included: Debian's 2.42 (exporter-toolkit 0.8.2) accepts them.
    const head =
      await $`curl -sS -o /dev/null -D - --max-time 5 --cacert ${ssl}/cert.pem --resolve ${FQDN}:${port}:127.0.0.1 ${`https://${FQDN}:${port}/-/ready`}`
        .text();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
      assert.match(head, new RegExp(`^${k}: ${v}\r?$`, "mi"), `${k} on the 401`);
    }
    // Where Prometheus listens is not ours to test here: this test chose 127.0.0.1 itself (above). The
    // addresses a host publishes are asserted in tests/tools/containers_test.ts (PortBindings) and on
    // the lab in hardening_test.ts ("our ports are published on IPv4 only").

    let health = "";
    for (let i = 0; i < 50 && health !== "up"; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const t = await get(ssl, port, "/api/v1/targets", "alice:alice-password");
      const targets = JSON.parse(t.body).data.activeTargets as {
        labels: Record<string, string>;
        health: string;
        lastError: string;
      }[];
      const self = targets.find((x) => x.labels.job === "prometheus");
      health = self?.health ?? "";
      if (health === "down") throw new Error(`self-scrape failed: ${self?.lastError}`);
      if (self) assert.equal(self.labels.instance, "isaqal09");
    }
    assert.equal(health, "up", "Prometheus scrapes itself over TLS with the internal user");
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});
