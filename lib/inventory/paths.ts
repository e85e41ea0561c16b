/**
 * Where our files live on the host and where the containers see them. One place, so that the steps,
 * `status` and `uninstall` agree on every path.
 */
import type { Vars } from "./vars.ts";
import { INSTALL_MARKER } from "../base/names.ts";

/** Container-side paths (fixed: they are part of the container specification). */
export const IN_CONTAINER = {
  /** `<install_dir>/prometheus` is mounted here read-only. */
  prometheusConfigDir: "/etc/prometheus",
  /** `<install_dir>/prometheus/data`, read-write. */
  prometheusData: "/prometheus",
  /** `<install_dir>/traefik/ssl` as Prometheus sees it (native frontend). Not nested in another mount. */
  prometheusSsl: "/etc/isa-ssl",
  /** `<install_dir>/traefik` is mounted here read-only. */
  traefikDir: "/etc/traefik",
} as const;

/** The secret files Prometheus reads (`*_file` settings), relative to its config folder on either side. */
export const PROMETHEUS_SECRET_FILES = {
  remoteWritePassword: "secrets/remote_write_password",
  remoteWriteToken: "secrets/remote_write_token",
  selfScrapePassword: "secrets/self_scrape_password",
  alertingPassword: "secrets/alerting_password",
  alertingToken: "secrets/alerting_token",
} as const;

/** Host-side paths of one installation. */
export interface InstallPaths {
  root: string;
  /** Our marker file in root (see INSTALL_MARKER). */
  marker: string;
  prometheusDir: string;
  prometheusYml: string;
  alertsYml: string;
  webYml: string;
  /** 0700 folder of files that hold secrets Prometheus reads (`*_file` settings). */
  prometheusSecretsDir: string;
  remoteWritePassword: string;
  remoteWriteToken: string;
  alertingPassword: string;
  alertingToken: string;
  /** CA certificates of the Alertmanagers (`alerting.ca_file`, not a secret). */
  alertingCa: string;
  /** Password of the internal user Prometheus scrapes itself with behind the native frontend. */
  selfScrapePassword: string;
  prometheusData: string;
  traefikDir: string;
  traefikYml: string;
  traefikDynamicDir: string;
  traefikDynamicYml: string;
  htpasswd: string;
  sslDir: string;
  cert: string;
  key: string;
}

/** Host paths under `vars.install_dir`. */
export function installPaths(vars: Pick<Vars, "install_dir">): InstallPaths {
  const root = vars.install_dir.replace(/\/+$/, "");
  const prom = `${root}/prometheus`;
  const traefik = `${root}/traefik`;
  return {
    root,
    marker: `${root}/${INSTALL_MARKER}`,
    prometheusDir: prom,
    prometheusYml: `${prom}/prometheus.yml`,
    alertsYml: `${prom}/alerts.yml`,
    webYml: `${prom}/web.yml`,
    prometheusSecretsDir: `${prom}/secrets`,
    remoteWritePassword: `${prom}/${PROMETHEUS_SECRET_FILES.remoteWritePassword}`,
    remoteWriteToken: `${prom}/${PROMETHEUS_SECRET_FILES.remoteWriteToken}`,
    selfScrapePassword: `${prom}/${PROMETHEUS_SECRET_FILES.selfScrapePassword}`,
    alertingPassword: `${prom}/${PROMETHEUS_SECRET_FILES.alertingPassword}`,
    alertingToken: `${prom}/${PROMETHEUS_SECRET_FILES.alertingToken}`,
    alertingCa: `${prom}/alerting_ca.pem`,
    prometheusData: `${prom}/data`,
    traefikDir: traefik,
    traefikYml: `${traefik}/traefik.yml`,
    traefikDynamicDir: `${traefik}/dynamic`,
    traefikDynamicYml: `${traefik}/dynamic/isa.yml`,
    htpasswd: `${traefik}/htpasswd`,
    sslDir: `${traefik}/ssl`,
    cert: `${traefik}/ssl/cert.pem`,
    key: `${traefik}/ssl/key.pem`,
  };
}

/** Maps a host path under `hostDir` to the same file under `containerDir`. */
export function inContainer(hostPath: string, hostDir: string, containerDir: string): string {
  if (hostPath !== hostDir && !hostPath.startsWith(hostDir + "/")) {
    throw new Error(`${hostPath} is not under ${hostDir}`);
  }
  return containerDir + hostPath.slice(hostDir.length);
}
