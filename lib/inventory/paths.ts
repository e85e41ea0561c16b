/**
 * Where our files live on the host and where the containers see them. One place, so that the steps,
 * `status` and `uninstall` agree on every path.
 */
import type { Vars } from "./vars.ts";

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

// `uninstall --purge` removes install_dir whole: none of these may ever be it. Exact matches; the
// folders under VOLATILE are refused whole (kernel filesystems, tmpfs, world-writable /tmp).
const SYSTEM_DIRS = new Set(
  ("/bin /boot /dev /etc /home /lib /lib32 /lib64 /libx32 /media /mnt /opt /proc /root /run /sbin /srv " +
    "/sys /tmp /usr /var /usr/bin /usr/include /usr/lib /usr/lib64 /usr/libexec /usr/local /usr/sbin " +
    "/usr/share /usr/src /usr/local/bin /usr/local/lib /usr/local/sbin /usr/local/share /var/cache " +
    "/var/lib /var/lib/docker /var/lock /var/log /var/mail /var/opt /var/run /var/spool /var/tmp " +
    "/var/www /etc/apache2 /etc/httpd /etc/ssh /etc/systemd")
    .split(" "),
);
const VOLATILE = ["/proc", "/sys", "/dev", "/run", "/tmp", "/var/tmp"];

/**
 * Why `install_dir` is unsafe, or undefined: it must be absolute and normalised (no `.`, `..`, `//`,
 * trailing `/`), and neither `/`, a system folder, a user's home nor under a volatile or world-writable
 * folder.
 */
export function installDirProblem(dir: string): string | undefined {
  if (!dir.startsWith("/")) return "is not an absolute path";
  if (dir === "/") return "is the root folder: uninstall --purge would remove everything";
  const parts = dir.slice(1).split("/");
  if (parts.some((c) => c === "" || c === "." || c === "..")) {
    return "is not a normalised path (no '.', '..', '//' or trailing '/')";
  }
  if (SYSTEM_DIRS.has(dir)) return "is a system folder: uninstall --purge would remove it";
  if (parts[0] === "home" && parts.length === 2) return "is a user's home folder";
  const under = VOLATILE.find((v) => dir.startsWith(v + "/"));
  if (under) return `is under ${under} (volatile or world-writable): pick a folder such as /srv/isa`;
  return undefined;
}

/** Host paths under `vars.install_dir`. */
export function installPaths(vars: Pick<Vars, "install_dir">): InstallPaths {
  const root = vars.install_dir.replace(/\/+$/, "");
  const prom = `${root}/prometheus`;
  const traefik = `${root}/traefik`;
  return {
    root,
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
