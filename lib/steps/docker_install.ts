import type { Facts } from "../facts/facts.ts";
import type { Proxy, Vars } from "../inventory/vars.ts";
import { quote } from "../base/quote.ts";
import type { Ssh } from "../transport/ssh.ts";

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
 * Shell lines giving the package manager (and curl) the proxy. dnf reaches repositories through
 * librepo, i.e. libcurl, which reads `http_proxy` (lowercase only), `https_proxy`/`HTTPS_PROXY` and
 * `no_proxy`/`NO_PROXY` (libcurl-env(3)); apt's http and https methods read `http_proxy` and
 * `https_proxy` when apt.conf sets no proxy (apt.conf(5)). Environment rather than dnf's own `proxy=`
 * option, so `no_proxy` keeps the host's internal repositories (a Satellite) direct.
 */
export function proxyEnv(proxy: Proxy | null): string {
  if (!proxy) return "";
  const lines: string[] = [];
  if (proxy.http) lines.push(`export http_proxy=${quote(proxy.http)}`);
  if (proxy.https) lines.push(`export https_proxy=${quote(proxy.https)} HTTPS_PROXY=${quote(proxy.https)}`);
  if (proxy.no_proxy) {
    lines.push(`export no_proxy=${quote(proxy.no_proxy)} NO_PROXY=${quote(proxy.no_proxy)}`);
  }
  return lines.join("\n");
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
 * wanted (`docker_repo: none`, or not the RHEL family). Docker publishes repositories for RHEL and
 * CentOS; Rocky and Alma use CentOS's, as Docker's own install notes for those rebuilds say.
 */
export function dockerRepoBase(facts: Facts, vars: Vars): string | null {
  if (facts.os.family !== "rhel" || vars.docker_repo === "none") return null;
  if (vars.docker_repo) return vars.docker_repo.replace(/\/+$/, "");
  return `https://download.docker.com/linux/${facts.os.id === "rhel" ? "rhel" : "centos"}`;
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
    `gpgkey=${base}/gpg`,
    "skip_if_unavailable=1",
    "",
  ].join("\n");
}

/**
 * Script printing `yes` when docker-ce is installable from the host's repositories, ours left out
 * (a Satellite or an operator's repository that carries it: then we add none), else `no`.
 */
export function installableScript(vars: Vars): string {
  return [
    proxyEnv(vars.proxy),
    `if timeout 300 dnf -q --disablerepo='isa-docker-ce*' list --available docker-ce >/dev/null 2>&1; ` +
    `then echo yes; else echo no; fi`,
  ].filter(Boolean).join("\n");
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
 * The script that installs the Docker engine with the host's package manager, through the proxy when
 * one is set. Debian/Ubuntu: the distribution's docker.io. RHEL family: docker-ce, docker-ce-cli and
 * containerd.io (Docker's RHEL page adds the buildx and compose plugins, which we don't use), from the
 * repository file written before or the host's own repositories. On Debian the lock is first waited
 * for by `waitForPackageLock` (which says who holds it); apt's own wait only covers a lock taken in between.
 */
export function installScript(facts: Facts, vars: Vars): string {
  const proxy = proxyEnv(vars.proxy);
  if (facts.os.family === "debian") {
    return [
      "set -eu",
      proxy,
      "export DEBIAN_FRONTEND=noninteractive",
      // An install cut off earlier (lost connection, Ctrl-C) can leave dpkg half-way; apt then
      // refuses everything until this is run. It does nothing when dpkg is consistent.
      "dpkg --configure -a",
      "apt-get -o DPkg::Lock::Timeout=60 update -qq",
      "apt-get -o DPkg::Lock::Timeout=60 install -y -qq --no-install-recommends docker.io",
    ].filter(Boolean).join("\n");
  }
  if (facts.os.family === "rhel") {
    return [
      "set -eu",
      proxy,
      vars.docker_repo === "none"
        ? `dnf -q list --available docker-ce >/dev/null 2>&1 || { echo "docker-ce is in none of this host's ` +
          `repositories (docker_repo: none): add it to them (Satellite), or set docker_repo" >&2; exit 1; }`
        : "",
      `dnf -y install${
        vars.docker_allow_erasing ? " --allowerasing" : ""
      } docker-ce docker-ce-cli containerd.io`,
    ].filter(Boolean).join("\n");
  }
  throw new Error(`no known way to install Docker on '${facts.os.prettyName}'`);
}

/** The label that lets containers read a folder when Docker labels them (container-selinux's type). */
export const CONTAINER_FILE_T = "container_file_t";

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

/**
 * Script: label the install folder `container_file_t` persistently (a local file-context rule, then
 * restorecon). Chosen over `label=disable` on our containers because it keeps SELinux confining them
 * (Traefik faces the network), changes no container, and survives a full relabel, where Docker's `:z`
 * relabelling would not. `semanage` comes with policycoreutils-python-utils, installed when missing.
 */
export function selinuxLabelScript(installDir: string, vars: Vars): string {
  const re = `${installDir.replace(/[.]/g, "\\.")}(/.*)?`;
  return [
    "set -eu",
    proxyEnv(vars.proxy),
    "command -v semanage >/dev/null 2>&1 || dnf -y install policycoreutils-python-utils",
    `mkdir -p ${quote(installDir)}`,
    `semanage fcontext -a -t ${CONTAINER_FILE_T} ${quote(re)} 2>/dev/null || ` +
    `semanage fcontext -m -t ${CONTAINER_FILE_T} ${quote(re)}`,
    `restorecon -R ${quote(installDir)}`,
  ].filter(Boolean).join("\n");
}

/**
 * Script: enable at boot, start, and wait (up to 60 s) until the API answers. When the engine won't
 * start, systemctl only says "see journalctl"; the engine's own last words (e.g. a daemon.json option
 * it rejects) are what an operator needs, so they are added to the error.
 */
export const START_SCRIPT = `set -eu
# After a failed start, systemd refuses more starts for a while (start limit): the run that follows
# the operator's fix must not be refused for that.
systemctl reset-failed docker >/dev/null 2>&1 || true
since=$(date '+%Y-%m-%d %H:%M:%S')
if ! systemctl enable --now docker >/dev/null 2>&1 && ! out=$(systemctl start docker 2>&1); then
  echo "Docker did not start: $out" >&2
  # dockerd's own lines of this attempt; systemd's restart and start-limit lines say nothing new.
  echo "its log (journalctl -u docker):" >&2
  journalctl -u docker --since "$since" --no-pager -o cat 2>/dev/null | grep -v 'docker.service' |
    tail -n 4 | sed 's/^/  /' >&2 || true
  exit 1
fi
i=0; until docker info >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 60 ] && { echo "Docker API did not answer within 60 s" >&2; systemctl status docker --no-pager >&2 || true; exit 1; }; sleep 1; done`;

/** Debian's package-manager locks (fcntl locks taken by apt and dpkg). */
const DEBIAN_LOCKS = [
  "/var/lib/dpkg/lock-frontend",
  "/var/lib/dpkg/lock",
  "/var/lib/apt/lists/lock",
  "/var/cache/apt/archives/lock",
];

/**
 * Script printing `pid N (command)` for a process that holds one of Debian's package locks, or
 * nothing. Reads /proc/locks (fcntl and flock locks, by inode), skips waiters (`->`), and keeps a
 * pid only if it really has the file open, so an inode of another file system can't be mistaken.
 */
export const PACKAGE_LOCK_HOLDER = `for f in ${DEBIAN_LOCKS.join(" ")}; do
  ino=$(stat -c %i "$f" 2>/dev/null) || continue
  for pid in $(awk -v ino="$ino" '$2 != "->" { n = split($6, d, ":"); if (d[n] == ino) print $5 }' /proc/locks); do
    if ls -l /proc/$pid/fd 2>/dev/null | grep -q " $f\$"; then
      echo "pid $pid ($(tr '\\0' ' ' < /proc/$pid/cmdline | cut -c1-80 | sed 's/ *$//')) holds $f"
      exit 0
    fi
  done
done`;

/** Seconds to wait for the package manager's lock: ISA_PACKAGE_LOCK_WAIT, else 300 (apt's usual wait). */
export function packageLockWaitSeconds(env = Deno.env.get("ISA_PACKAGE_LOCK_WAIT")): number {
  const n = Number(env);
  return env && Number.isFinite(n) && n >= 0 ? n : 300;
}

/**
 * Waits until no process holds Debian's package locks (an unattended upgrade, an operator's apt),
 * saying who holds them every 30 s; throws naming the holder after `waitS` seconds. apt's own
 * `DPkg::Lock::Timeout` waits silently and then fails, which looks like a hang, then a riddle.
 */
export async function waitForPackageLock(
  ssh: Ssh,
  facts: Facts,
  progress: (line: string) => void,
  waitS = packageLockWaitSeconds(),
): Promise<void> {
  if (facts.os.family !== "debian") return; // dnf waits for its own lock and says so.
  const started = Date.now();
  let said = -Infinity;
  for (;;) {
    const holder = (await ssh.run(PACKAGE_LOCK_HOLDER, { log: "who holds the package manager's lock" }))
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
