/** Renders prometheus.yml from files/prometheus/prometheus.yml for one host. */
import type { Document, YAMLMap, YAMLSeq } from "yaml";
import type { Host } from "../inventory/host.ts";
import { IN_CONTAINER, PROMETHEUS_SECRET_FILES } from "../inventory/paths.ts";
import type { RemoteWrite } from "../inventory/vars.ts";
import { SELF_SCRAPE_USER } from "./web_config.ts";
import { parseTemplate, printTemplate } from "./yaml_template.ts";

const TEMPLATE_URL = new URL("../../files/prometheus/prometheus.yml", import.meta.url);

/** The template shipped in files/prometheus/prometheus.yml. */
export function prometheusTemplate(): string {
  return Deno.readTextFileSync(TEMPLATE_URL);
}

/** Per-host inputs of prometheus.yml. */
export interface PrometheusConfigInput {
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
  /** Where Prometheus sees its config folder and the certificate folder; the container paths by default. */
  dirs?: { config: string; ssl: string };
}

/** The inputs of prometheus.yml for an inventory host. */
export function prometheusConfigInput(
  host: Host,
  alerts: boolean,
  remoteWriteUsername?: string,
): PrometheusConfigInput {
  const v = host.vars;
  return {
    hostName: host.name,
    deployment: host.deployment,
    scrapeInterval: v.scrape_interval,
    frontend: v.frontend,
    fqdn: v.fqdn,
    alerts,
    remoteWrite: v.remote_write,
    remoteWriteUsername,
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
export function renderPrometheusConfig(
  input: PrometheusConfigInput,
  template = prometheusTemplate(),
): string {
  const dirs = input.dirs ?? { config: IN_CONTAINER.prometheusConfigDir, ssl: IN_CONTAINER.prometheusSsl };
  const doc = parseTemplate("prometheus.yml", template);

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
    doc.set("remote_write", doc.createNode([entry]));
  }
  return printTemplate(doc);
}

/** The alerting rules shipped in files/prometheus/alerts.yml, or null when the project has none. */
export function shippedAlerts(): string | null {
  try {
    return Deno.readTextFileSync(new URL("../../files/prometheus/alerts.yml", import.meta.url));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}
