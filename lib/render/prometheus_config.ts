/** Renders prometheus.yml from its template (files/prometheus/prometheus.yml) for one host. */
import type { Document, YAMLMap, YAMLSeq } from "yaml";
import type { Host } from "../inventory/host.ts";
import { IN_CONTAINER, PROMETHEUS_SECRET_FILES } from "../inventory/paths.ts";
import type { Alerting, RemoteWrite } from "../inventory/vars.ts";
import { SELF_SCRAPE_USER } from "./web_config.ts";
import { parseTemplate, printTemplate } from "./yaml_template.ts";

/** The Alertmanagers' CA certificates next to prometheus.yml (public, so not under `secrets/`). */
export const ALERTING_CA_FILE = "alerting_ca.pem";

/**
 * remote_write's queue, set on purpose rather than left to the version's defaults: 2.42 and 3.x differ
 * (3.0 changed max_shards 200→50, max_samples_per_send 500→2000, capacity 2500→10000; Prometheus docs
 * configuration.md at v3.5.5 and v2.42.0). These are the 3.x values, so the lab's 2.42 behaves as
 * production. While the store is down a shard retries its batch with backoff up to max_backoff and
 * the WAL reader waits (storage/remote/queue_manager.go sendSamplesWithBackoff): nothing is dropped
 * for a recoverable error (connection refused, 5xx) as long as the WAL still holds the samples.
 */
export const REMOTE_WRITE_QUEUE = {
  capacity: 10000,
  max_shards: 50,
  min_shards: 1,
  max_samples_per_send: 2000,
  batch_send_deadline: "5s",
  min_backoff: "30ms",
  // After an outage sending resumes at most this long after the store is back.
  max_backoff: "5s",
  // A store that throttles (429) delays samples instead of making Prometheus drop them (the
  // default, false, treats 429 as non-recoverable).
  retry_on_http_429: true,
} as const;

/** Per-host inputs of prometheus.yml. */
export interface PrometheusConfigInput {
  /** The template's text (files/prometheus/prometheus.yml, read by the caller: rendering does no I/O). */
  template: string;
  /** Inventory name: the `instance` label of every series and the `host` external label. */
  hostName: string;
  deployment: "qual" | "prod";
  scrapeInterval: string;
  frontend: "traefik" | "native";
  /** Certificate name, checked when Prometheus scrapes itself over TLS (native frontend). */
  fqdn: string;
  /** alerts.yml is deployed next to prometheus.yml. */
  alerts: boolean;
  remoteWrite: RemoteWrite | null;
  /** Basic-auth user name for remote_write (not a secret; the password goes to a file). */
  remoteWriteUsername?: string;
  /** Where alerts go; null renders no `alerting:` section. */
  alerting: Alerting | null;
  /** Basic-auth user name for the Alertmanagers (the password goes to a file). */
  alertingUsername?: string;
  /** Where Prometheus sees its config folder and the certificate folder; the container paths by default. */
  dirs?: { config: string; ssl: string };
}

/** The inputs of prometheus.yml for an inventory host. */
export function prometheusConfigInput(
  host: Host,
  template: string,
  alerts: boolean,
  remoteWriteUsername?: string,
  alertingUsername?: string,
): PrometheusConfigInput {
  const v = host.vars;
  return {
    template,
    hostName: host.name,
    deployment: host.deployment,
    scrapeInterval: v.scrape_interval,
    frontend: v.frontend,
    fqdn: v.fqdn,
    alerts,
    remoteWrite: v.remote_write,
    remoteWriteUsername,
    alerting: v.alerting,
    alertingUsername,
  };
}

function job(doc: Document, name: string): YAMLMap {
  const jobs = doc.get("scrape_configs") as YAMLSeq<YAMLMap>;
  const j = jobs?.items.find((i) => i.get("job_name") === name);
  if (!j) throw new Error(`prometheus.yml template has no job '${name}'`);
  return j;
}

/**
 * Renders prometheus.yml. Secrets never appear in it: remote_write and the self-scrape use
 * `password_file` / `credentials_file`, so the file can be shown in `--diff`.
 */
export function renderPrometheusConfig(input: PrometheusConfigInput): string {
  const dirs = input.dirs ?? { config: IN_CONTAINER.prometheusConfigDir, ssl: IN_CONTAINER.prometheusSsl };
  const doc = parseTemplate("prometheus.yml", input.template);

  doc.setIn(["global", "scrape_interval"], input.scrapeInterval);
  doc.setIn(["global", "evaluation_interval"], input.scrapeInterval);
  doc.setIn(["global", "external_labels", "host"], input.hostName);
  doc.setIn(["global", "external_labels", "deployment"], input.deployment);
  doc.set("rule_files", doc.createNode(input.alerts ? [`${dirs.config}/alerts.yml`] : []));

  for (const name of ["apache", "prometheus"]) {
    const j = job(doc, name);
    for (const sc of (j.get("static_configs") as YAMLSeq<YAMLMap>).items) {
      sc.setIn(["labels", "instance"], input.hostName);
    }
  }

  if (input.frontend === "native") {
    // Prometheus requires TLS and basic auth on its only port, including for its own scrape: verify
    // the certificate by name against itself (self-signed), as an internal user whose password is in
    // a 0600 file.
    const j = job(doc, "prometheus");
    j.set("scheme", "https");
    j.set("tls_config", doc.createNode({ ca_file: `${dirs.ssl}/cert.pem`, server_name: input.fqdn }));
    j.set(
      "basic_auth",
      doc.createNode({
        username: SELF_SCRAPE_USER,
        password_file: `${dirs.config}/${PROMETHEUS_SECRET_FILES.selfScrapePassword}`,
      }),
    );
  }

  const rw = input.remoteWrite;
  if (rw) {
    const entry: Record<string, unknown> = { url: rw.url };
    if (rw.auth === "basic") {
      if (!input.remoteWriteUsername) {
        throw new Error("remote_write.auth is basic but the secrets have no remote_write.username");
      }
      entry.basic_auth = {
        username: input.remoteWriteUsername,
        password_file: `${dirs.config}/${PROMETHEUS_SECRET_FILES.remoteWritePassword}`,
      };
    } else if (rw.auth === "bearer") {
      entry.authorization = {
        type: "Bearer",
        credentials_file: `${dirs.config}/${PROMETHEUS_SECRET_FILES.remoteWriteToken}`,
      };
    }
    entry.queue_config = { ...REMOTE_WRITE_QUEUE };
    doc.set("remote_write", doc.createNode([entry]));
  }
  if (input.alerting) {
    doc.set("alerting", doc.createNode({ alertmanagers: alertmanagers(input, dirs.config) }));
  }
  return printTemplate(doc);
}

/** One `alertmanagers` entry per URL, each with the shared auth and TLS settings. */
function alertmanagers(input: PrometheusConfigInput, configDir: string): Record<string, unknown>[] {
  const a = input.alerting!;
  if (a.alertmanagers.length === 0) throw new Error("alerting.alertmanagers is empty: name at least one URL");
  return a.alertmanagers.map((raw) => {
    const url = new URL(raw);
    if (url.search || url.hash || url.username || url.password) {
      throw new Error(`alerting URL ${raw}: no query, fragment or credentials in the URL`);
    }
    const scheme = url.protocol.replace(/:$/, "");
    const port = url.port || (scheme === "https" ? "443" : "80");
    const entry: Record<string, unknown> = {
      scheme,
      // v2 is the only API 3.x accepts and 2.42's default (config/config.go at v3.5.5 and v2.42.0).
      api_version: "v2",
      timeout: "10s",
      static_configs: [{ targets: [`${url.hostname}:${port}`] }],
    };
    const prefix = url.pathname.replace(/\/+$/, "");
    if (prefix) entry.path_prefix = prefix;
    if (a.auth === "basic") {
      if (!input.alertingUsername) {
        throw new Error("alerting.auth is basic but the secrets have no alerting.username");
      }
      entry.basic_auth = {
        username: input.alertingUsername,
        password_file: `${configDir}/${PROMETHEUS_SECRET_FILES.alertingPassword}`,
      };
    } else if (a.auth === "bearer") {
      entry.authorization = {
        type: "Bearer",
        credentials_file: `${configDir}/${PROMETHEUS_SECRET_FILES.alertingToken}`,
      };
    }
    if (scheme === "https") {
      // Verified always (stated, not left to the default); against the given CA when there is one.
      entry.tls_config = {
        ...(a.ca_file ? { ca_file: `${configDir}/${ALERTING_CA_FILE}` } : {}),
        insecure_skip_verify: false,
      };
    }
    return entry;
  });
}

/** Prometheus duration (`1h30m`, `5m`, `30s`) in milliseconds. */
export function durationMs(d: string): number {
  const units: Record<string, number> = {
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
    d: 86_400_000,
    w: 604_800_000,
    y: 31_536_000_000,
  };
  const parts = [...d.matchAll(/(\d+)(ms|[smhdwy])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== d) throw new Error(`not a duration: ${d}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}

/**
 * alerts.yml as deployed: the shipped rules, with every `for:` longer than `forMax` cut to it (the
 * lab's `alert_for_max`); unchanged when `forMax` is null.
 */
export function renderAlerts(text: string, forMax: string | null): string {
  if (forMax === null) return text;
  const cap = durationMs(forMax);
  const doc = parseTemplate("alerts.yml", text);
  for (const g of (doc.get("groups") as YAMLSeq<YAMLMap>).items) {
    for (const r of (g.get("rules") as YAMLSeq<YAMLMap>).items) {
      const f = r.get("for");
      if (typeof f === "string" && durationMs(f) > cap) r.set("for", forMax);
    }
  }
  return printTemplate(doc);
}
