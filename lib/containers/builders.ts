/**
 * Pure builders of our three container specifications. `status` and `uninstall` reuse them to
 * compute drift, so they depend only on the host, its facts and which optional files exist.
 */
import type Docker from "dockerode";
import type { Facts } from "../facts/facts.ts";
import type { Host } from "../inventory/host.ts";
import { TRAEFIK_DASHBOARD_PORT, TRAEFIK_HTTPS_PORT } from "../render/traefik_config.ts";
import { IN_CONTAINER, installPaths } from "../inventory/paths.ts";
import { SELF_SCRAPE_USER } from "../render/web_config.ts";
import { baseCreate, type ContainerSpec } from "./spec.ts";
import { seconds } from "../base/duration.ts";

/** Container names; also their DNS names on our Docker network. */
export const CONTAINER_NAMES = {
  exporter: "apache_exporter",
  prometheus: "prometheus",
  traefik: "traefik",
} as const;

/** Port the exporter listens on inside its container. */
export const EXPORTER_PORT = 9117;
/** Port Prometheus listens on inside its container. */
export const PROMETHEUS_PORT = 9090;

const IPV4_RE = /^\d{1,3}(\.\d{1,3}){3}$/;

function bind(source: string, target: string, readOnly: boolean): Docker.MountSettings {
  // Mounts (not Binds): Docker refuses a missing source instead of silently creating a root-owned folder.
  return { Type: "bind", Source: source, Target: target, ReadOnly: readOnly };
}

function publish(create: Docker.ContainerCreateOptions, containerPort: number, hostPorts: number[]): void {
  const key = `${containerPort}/tcp`;
  create.ExposedPorts = { ...create.ExposedPorts, [key]: {} };
  create.HostConfig!.PortBindings = {
    ...create.HostConfig!.PortBindings,
    // IPv4 only: on [::] Docker answers through docker-proxy, which no FORWARD rule of ours sees.
    [key]: hostPorts.map((p) => ({ HostIp: "0.0.0.0", HostPort: String(p) })),
  };
}

/**
 * The scrape URI of Apache's mod_status as the exporter reaches it: the host at our own network's
 * gateway, where the exporter sits. Not docker0's: the default bridge may be off (`"bridge": "none"` in
 * daemon.json) or someone else's, and Apache's `<Location>` admits our network's subnet, whose gateway
 * the exporter's requests leave by.
 */
export function scrapeUri(facts: Pick<Facts, "docker">, network: string): string {
  const gw = facts.docker.networkGateways?.[network]?.[0];
  if (!gw || !IPV4_RE.test(gw)) {
    throw new Error(
      `no IPv4 gateway for Docker network ${network} in the facts (${gw ?? "none"}): is Docker running, ` +
        `and did the docker step create the network?`,
    );
  }
  return `http://${gw}/server-status?auto`;
}

/**
 * apache_exporter: scrapes mod_status at our network's gateway; not published on the host.
 *
 * Only `--scrape_uri`, the one flag both version lines share with the same meaning
 * (apache_exporter.go at v0.12.0, Debian's, and v1.1.1, the pinned image). The listen address is
 * left to its default, `:9117` in both, because its flag differs: `--telemetry.address` in 0.x,
 * exporter-toolkit's `--web.listen-address` from v1.0.0 on, and kingpin exits on an unknown flag.
 * The scrape URI is always given: the defaults differ too (`/server-status/?auto` in 0.x).
 */
export function exporterSpec(host: Host, facts: Pick<Facts, "docker">): ContainerSpec {
  const v = host.vars;
  const name = CONTAINER_NAMES.exporter;
  const create = baseCreate(name, v.images.apache_exporter, v, v.limits.apache_exporter);
  // One argv element per flag and no quotes inside: the exporter takes quotes literally
  // ("first path segment in URL cannot contain colon").
  create.Cmd = [`--scrape_uri=${scrapeUri(facts, v.docker_network)}`];
  return {
    name,
    image: v.images.apache_exporter,
    create,
    files: [],
    // apache_up is 1 as soon as server-status answers anything, even 403 (collector.go at v1.1.1):
    // its presence proves the exporter serves, not that mod_status works (verify-metrics checks that).
    ready: {
      port: EXPORTER_PORT,
      scheme: "http",
      path: "/metrics",
      status: 200,
      bodyLine: "apache_up ",
      what: "the exporter's /metrics answers with apache_up",
    },
  };
}

/** Which optional files Prometheus' directory holds (they enter the spec hash). */
export interface PrometheusFiles {
  /** alerts.yml is deployed. */
  alerts: boolean;
}

/** Host files Prometheus reads, whose contents enter its spec hash. */
export function prometheusFiles(host: Host, files: PrometheusFiles): string[] {
  const v = host.vars;
  const p = installPaths(v);
  const out = [p.prometheusYml];
  if (files.alerts) out.push(p.alertsYml);
  if (v.remote_write?.auth === "basic") out.push(p.remoteWritePassword);
  if (v.remote_write?.auth === "bearer") out.push(p.remoteWriteToken);
  if (v.alerting?.auth === "basic") out.push(p.alertingPassword);
  if (v.alerting?.auth === "bearer") out.push(p.alertingToken);
  if (v.alerting?.ca_file) out.push(p.alertingCa);
  // The certificate, not the key: the key only changes together with it.
  if (v.frontend === "native") out.push(p.webYml, p.selfScrapePassword, p.cert);
  return out;
}

/**
 * Prometheus. Runs as `user`, the `uid:gid` of the host's system user isa-monitoring
 * (lib/containers/service_account.ts: why that user and why it loosens nothing), which owns the
 * 0600 files holding secrets (web.yml, secrets/*, the TLS key) and the data folder. Any uid works:
 * the official Dockerfile (prometheus/prometheus, Dockerfile at v3.5.5 and v2.42.0) sets
 * `USER nobody` and only chowns /etc/prometheus and /prometheus, both replaced here by our mounts;
 * Prometheus writes nothing else (read-only root file system). Capabilities all dropped and
 * no-new-privileges (baseCreate) as before, when it ran as root for want of a dedicated user.
 */
export function prometheusSpec(host: Host, files: PrometheusFiles, user: string): ContainerSpec {
  // Long on purpose: one container specification, field by field, as Docker's create call takes it.
  const v = host.vars;
  const p = installPaths(v);
  const name = CONTAINER_NAMES.prometheus;
  const create = baseCreate(name, v.images.prometheus, v, v.limits.prometheus);
  const conf = IN_CONTAINER.prometheusConfigDir;
  create.User = user;
  // The image's own ENTRYPOINT (/bin/prometheus in the official Dockerfile at v2.42.0 and v3.5.5,
  // and in the lab's image). Cmd replaces the image's CMD, so config and storage paths are given.
  // The listen address is left to its default (0.0.0.0:9090 in both, cmd/prometheus/main.go).
  // `--storage.tsdb.retention` (without .time) would kill 3.x at startup: never used.
  create.Cmd = [
    `--config.file=${conf}/prometheus.yml`,
    `--storage.tsdb.path=${IN_CONTAINER.prometheusData}`,
    `--storage.tsdb.retention.time=${v.retention_time}`,
    `--storage.tsdb.retention.size=${v.retention_size}`,
  ];
  if (v.alerting) {
    // Prometheus drops alerts that fire before its Alertmanager discovery has reported, then resends a
    // firing alert only after --rules.alert.resend-delay (default 1m): needsSending in rules/alerting.go
    // tests `LastSentAt + delay` strictly before the evaluation time, so half an evaluation interval
    // resends at every evaluation and the first Watchdog goes out at the second one. The flag exists in
    // v2.42.0 and v3.5.5 (cmd/prometheus/main.go, serverOnlyFlag "rules.alert.resend-delay").
    create.Cmd.push(
      `--rules.alert.resend-delay=${Math.max(1, Math.round(seconds(v.scrape_interval) * 500))}ms`,
    );
  }
  create.WorkingDir = IN_CONTAINER.prometheusData;
  const mounts = [
    bind(p.prometheusDir, conf, true),
    bind(p.prometheusData, IN_CONTAINER.prometheusData, false),
  ];
  if (v.frontend === "native") {
    create.Cmd.push(`--web.config.file=${conf}/web.yml`);
    mounts.push(bind(p.sslDir, IN_CONTAINER.prometheusSsl, true));
    // Same HTTPS + basic auth on the dashboard port when it is on (quality); closed otherwise.
    publish(create, PROMETHEUS_PORT, v.dashboard ? [v.ports.https, v.ports.dashboard] : [v.ports.https]);
  }
  create.HostConfig!.Mounts = mounts;
  // /-/ready answers 200 once the TSDB is open and the config loaded (web/web.go, both versions);
  // behind the native frontend every path asks for basic auth (exporter-toolkit's handler).
  const ready = v.frontend === "native"
    ? {
      scheme: "https" as const,
      auth: { user: SELF_SCRAPE_USER, passwordFile: p.selfScrapePassword },
    }
    : { scheme: "http" as const };
  return {
    name,
    image: v.images.prometheus,
    create,
    files: prometheusFiles(host, files),
    ready: {
      port: PROMETHEUS_PORT,
      path: "/-/ready",
      status: 200,
      what: "Prometheus answers /-/ready",
      ...ready,
    },
  };
}

/** Host files Traefik reads, whose contents enter its spec hash. */
export function traefikFiles(host: Host): string[] {
  const p = installPaths(host.vars);
  return [p.traefikYml, p.traefikDynamicYml, p.htpasswd, p.cert];
}

/**
 * Traefik: HTTPS on `ports.https`, the dashboard on `ports.dashboard` when `dashboard`. Runs as `user`
 * like Prometheus, owner of the key and htpasswd (0600), with the same confinement. The official image
 * runs as root only because its Dockerfile names no USER (traefik/traefik-library-image,
 * v3.7/alpine/Dockerfile at tag v3.7.11): its entrypoint.sh (mode 0755) and /usr/local/bin/traefik
 * are executable by anyone, it binds 8443 and 8080 (above 1024) and writes nothing here (no ACME,
 * no plugins; read-only root file system).
 */
export function traefikSpec(host: Host, user: string): ContainerSpec {
  const v = host.vars;
  const p = installPaths(v);
  const name = CONTAINER_NAMES.traefik;
  const create = baseCreate(name, v.images.traefik, v, v.limits.traefik);
  create.User = user;
  // The official image's entrypoint.sh runs `traefik` with these flags (its own CMD is ["traefik"]);
  // `--configFile` is read by pkg/cli/loader_file.go (checked at v3.7.9).
  create.Cmd = ["traefik", `--configFile=${IN_CONTAINER.traefikDir}/traefik.yml`];
  create.HostConfig!.Mounts = [bind(p.traefikDir, IN_CONTAINER.traefikDir, true)];
  publish(create, TRAEFIK_HTTPS_PORT, [v.ports.https]);
  if (v.dashboard) publish(create, TRAEFIK_DASHBOARD_PORT, [v.ports.dashboard]);
  return {
    name,
    image: v.images.traefik,
    create,
    files: traefikFiles(host),
    // 401 and not just any answer: Traefik listens before its file provider has loaded the router
    // (a 404 then); the basic-auth challenge means the route to Prometheus is in place.
    ready: {
      port: TRAEFIK_HTTPS_PORT,
      scheme: "https",
      path: "/",
      status: 401,
      what: "Traefik asks for basic auth on its HTTPS entry point",
    },
  };
}
