import type { Facts } from "../facts/facts.ts";
import type { Proxy, Vars } from "../inventory/vars.ts";
import type { Ssh } from "../transport/ssh.ts";
import { exec } from "../transport/exec.ts";
import { systemOf } from "../facts/os.ts";
import { CONTAINER_FILE_T, DOCKER_KEY_PATH, packageLockHolder } from "../commands/docker.ts";

/** Default engine config: log rotation so no container can fill the disk. */
export const DAEMON_DEFAULTS = {
  "log-driver": "json-file",
  "log-opts": { "max-size": "10m", "max-file": "3" },
};

/**
 * daemon.json with our log defaults merged into what the host already has (its other keys kept).
 * Returns null when the file already sets a log driver: an operator's choice is left alone.
 */
export function mergedDaemonJson(current: string | null, where: string): string | null {
  let obj: Record<string, unknown> = {};
  if (current !== null && current.trim() !== "") {
    try {
      obj = JSON.parse(current);
    } catch {
      throw new Error(`${where}: /etc/docker/daemon.json is not valid JSON; fix it by hand first`);
    }
  }
  if ("log-driver" in obj || "log-opts" in obj) return null;
  return JSON.stringify({ ...obj, ...DAEMON_DEFAULTS }, null, 2) + "\n";
}

/**
 * The systemd drop-in that gives dockerd the proxy for its pulls, as Docker documents it ("Configure
 * the daemon to use a proxy": Environment= lines in docker.service.d/http-proxy.conf); null without one.
 */
export function proxyDropIn(proxy: Proxy | null): string | null {
  if (!proxy || (!proxy.http && !proxy.https)) return null;
  const env = [
    proxy.http ? `HTTP_PROXY=${proxy.http}` : "",
    proxy.https ? `HTTPS_PROXY=${proxy.https}` : "",
    proxy.no_proxy ? `NO_PROXY=${proxy.no_proxy}` : "",
  ].filter(Boolean);
  return [
    "# Managed by isa-monitoring (inventory: proxy): dockerd pulls images through the proxy.",
    "[Service]",
    ...env.map((e) => `Environment="${e}"`),
    "",
  ].join("\n");
}

/**
 * Base URL of the Docker CE repository for this host (`.../linux/rhel`), or null when none of ours is
 * wanted (`docker_repo: none`, or not the RHEL family). The folder per system is SYSTEMS' (facts/os.ts):
 * RHEL, Rocky and AlmaLinux `rhel`, CentOS Stream `centos`; a rebuild only `like` rhel takes `rhel`.
 */
export function dockerRepoBase(facts: Facts, vars: Vars): string | null {
  if (facts.os.family !== "rhel" || vars.docker_repo === "none") return null;
  if (vars.docker_repo) return vars.docker_repo.replace(/\/+$/, "");
  return `https://download.docker.com/linux/${systemOf(facts.os.id, facts.os.idLike)?.docker ?? "rhel"}`;
}

/**
 * Our repository file, shaped as Docker's docker-ce.repo `[docker-ce-stable]` section (see
 * ../shared/fixtures/hosts/docker-ce.repo). The major version is written out rather than `$releasever`,
 * which a release pinned with subscription-manager turns into `9.4` (not a folder Docker publishes),
 * and `skip_if_unavailable=1` keeps an unreachable mirror from failing every later dnf run on the host.
 */
export function dockerRepoFile(base: string, facts: Facts): string {
  const major = facts.os.versionId.split(".")[0];
  return [
    "# Managed by isa-monitoring (inventory: docker_repo): Docker CE for the Docker engine.",
    "[isa-docker-ce-stable]",
    "name=Docker CE Stable - $basearch",
    `baseurl=${base}/${major}/$basearch/stable`,
    "enabled=1",
    "gpgcheck=1",
    // The key checked against Docker's fingerprint (fetchDockerKey), never the one the mirror serves now.
    `gpgkey=file://${DOCKER_KEY_PATH}`,
    "skip_if_unavailable=1",
    "",
  ].join("\n");
}

/** The refusal when podman, buildah or runc are installed and the inventory doesn't allow replacing them. */
export function containerToolsError(tools: string[]): string {
  return `${tools.join(", ")} ${tools.length > 1 ? "are" : "is"} installed (rpm -q) and stand in the way ` +
    `of Docker's packages (containerd.io replaces runc, which podman and buildah may need; Docker's RHEL ` +
    `install page removes podman and runc first). If nothing on this host uses them, remove them ` +
    `(dnf remove ${tools.join(" ")}), or set docker_allow_erasing: true for this host to let dnf replace ` +
    `them (dnf install --allowerasing)`;
}

/**
 * Whether our containers need the install folder labelled: SELinux on (enforcing, or permissive where
 * denials are logged) and Docker labelling containers, and the folder's label (now, or by the policy's
 * rules, which `restorecon` and a full relabel apply) not `container_file_t` yet.
 */
export function needsSelinuxLabel(facts: Facts): boolean {
  const s = facts.selinux;
  if (!s.dockerLabels || (s.mode !== "enforcing" && s.mode !== "permissive")) return false;
  const ok = (label: string | null) => label?.includes(`:${CONTAINER_FILE_T}:`) ?? false;
  // Without matchpathcon (it ships with getenforce in libselinux-utils, so rarely) the label alone decides.
  return !(ok(s.installDirLabel) && (s.installDirDefault === null || ok(s.installDirDefault)));
}

/** Seconds to wait for the package manager's lock: ISA_PACKAGE_LOCK_WAIT, else 300 (apt's usual wait). */
export function packageLockWaitSeconds(env = Deno.env.get("ISA_PACKAGE_LOCK_WAIT")): number {
  const n = Number(env);
  return env && Number.isFinite(n) && n >= 0 ? n : 300;
}

/**
 * Waits until no process holds the package manager's locks (an unattended upgrade, an operator's apt
 * or dnf, a dnf-automatic timer), saying who holds them every 30 s; throws naming the holder after
 * `waitS` seconds. apt's own `DPkg::Lock::Timeout` waits silently and then fails, which looks like a
 * hang, then a riddle; dnf's wait has no end at all.
 */
export async function waitForPackageLock(
  ssh: Ssh,
  facts: Facts,
  progress: (line: string) => void,
  waitS = packageLockWaitSeconds(),
): Promise<void> {
  const started = Date.now();
  let said = -Infinity;
  for (;;) {
    const holder = (await exec(ssh, packageLockHolder(facts.os.family)))
      .stdout.trim();
    if (!holder) return;
    const waited = (Date.now() - started) / 1000;
    if (waited >= waitS) {
      throw new Error(
        `the package manager is busy: ${holder} (waited ${Math.round(waited)} s); Docker was not ` +
          `installed. Let that finish (or stop it) and run again`,
      );
    }
    if (waited - said >= 30) {
      progress(`waiting for the package manager: ${holder} (up to ${waitS} s)`);
      said = waited;
    }
    await new Promise((r) => setTimeout(r, Math.min(2000, Math.max(100, (waitS - waited) * 1000))));
  }
}
