/** The Docker engine's commands: installing it, starting it, labelling its files for SELinux. */
import type { Command } from "./command.ts";
import type { Proxy, Vars } from "../inventory/vars.ts";
import { quote } from "../base/quote.ts";
import { requireMarker } from "./files.ts";

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
 * Prints `yes` when docker-ce is installable from the host's repositories, ours left out
 * (a Satellite or an operator's repository that carries it: then we add none), else `no`.
 */
export function dockerInstallable(vars: Vars): Command {
  const script = [
    proxyEnv(vars.proxy),
    `if timeout 300 dnf -q --disablerepo='isa-docker-ce*' list --available docker-ce >/dev/null 2>&1; ` +
    `then echo yes; else echo no; fi`,
  ].filter(Boolean).join("\n");
  return { script, log: "is docker-ce installable (dnf list)" };
}

/**
 * Installs the Docker engine with the host's package manager, through the proxy when
 * one is set. Debian/Ubuntu: the distribution's docker.io. RHEL family: docker-ce, docker-ce-cli and
 * containerd.io (Docker's RHEL page adds the buildx and compose plugins, which we don't use), from the
 * repository file written before or the host's own repositories. The lock is first waited for by
 * `waitForPackageLock` (which says who holds it); apt's own wait, and dnf's `exit_on_lock`, only cover
 * a lock taken in between.
 */
export function installDocker(os: { family: string; prettyName: string }, vars: Vars): Command {
  const proxy = proxyEnv(vars.proxy);
  if (os.family === "debian") {
    return installing([
      ...aptReady(vars, true),
      // Debian 13 packs the client apart (docker-cli, only recommended by docker.io); we reach the
      // engine as root through `docker system dial-stdio`, so it is installed wherever apt has it.
      'pkgs=docker.io; if apt-cache show docker-cli >/dev/null 2>&1; then pkgs="$pkgs docker-cli"; fi',
      "apt-get -o DPkg::Lock::Timeout=60 install -y -qq --no-install-recommends $pkgs",
    ], PACKAGE_LIMIT_S);
  }
  if (os.family === "rhel") {
    return installing([
      "set -eu",
      proxy,
      DNF_BOUNDED,
      vars.docker_repo === "none"
        ? `dnf_bounded -q list --available docker-ce >/dev/null 2>&1 || { echo "docker-ce is in none of this ` +
          `host's repositories (docker_repo: none): add it to them (Satellite), or set docker_repo" >&2; exit 1; }`
        : "",
      `dnf_bounded -y install${
        vars.docker_allow_erasing ? " --allowerasing" : ""
      } docker-ce docker-ce-cli containerd.io`,
    ], (vars.docker_repo === "none" ? 2 : 1) * PACKAGE_LIMIT_S);
  }
  throw new Error(`no known way to install Docker on '${os.prettyName}'`);
}

/**
 * `dpkg --configure -a`, waiting up to 60 s for dpkg's locks as apt's DPkg::Lock::Timeout does for apt:
 * dpkg has no wait of its own, and after a run cut mid-install the cut run's apt or dpkg may still work
 * on the host for a while (seen on the lab: "dpkg frontend lock was locked by another process" right after
 * the lock holder check had found none). Any other failure is dpkg's own, reported at once.
 */
export const FINISH_DPKG = `i=0
until out=$(dpkg --configure -a 2>&1); do
  case "$out" in *"lock"*) ;; *) printf '%s\\n' "$out" >&2; exit 1 ;; esac
  i=$((i + 1)); if [ $i -ge 60 ]; then printf '%s\\n' "$out" >&2; exit 1; fi
  sleep 1
done`;

/**
 * The lines before an apt install: the proxy, no questions, fresh package lists; with `finishDpkg`,
 * `dpkg --configure -a` first. An engine install cut off earlier (lost connection, Ctrl-C) can leave dpkg
 * half-way, and apt then refuses everything until that is run (it does nothing when dpkg is consistent).
 * Only for the engine's own install, where the likeliest half-installed packages are the engine's from a
 * run that died: beside a running engine a half-configured package may be anyone's (an Apache upgrade,
 * whose postinst restarts it), so apt's own refusal reaches the operator instead.
 */
function aptReady(vars: Vars, finishDpkg: boolean): string[] {
  return [
    "set -eu",
    proxyEnv(vars.proxy),
    "export DEBIAN_FRONTEND=noninteractive",
    finishDpkg ? FINISH_DPKG : "",
    "apt-get -o DPkg::Lock::Timeout=60 update -qq",
  ];
}

/**
 * Installs the `docker` client beside an engine installed without it (Debian 13's docker.io without its
 * recommended docker-cli; docker-ce without docker-ce-cli): the deploy reaches the engine through it.
 */
export function installDockerClient(os: { family: string; prettyName: string }, vars: Vars): Command {
  if (os.family === "debian") {
    return installing([
      ...aptReady(vars, false),
      "apt-get -o DPkg::Lock::Timeout=60 install -y -qq --no-install-recommends docker-cli",
    ], PACKAGE_LIMIT_S);
  }
  if (os.family === "rhel") {
    return installing(
      ["set -eu", proxyEnv(vars.proxy), DNF_BOUNDED, "dnf_bounded -y install docker-ce-cli"],
      PACKAGE_LIMIT_S,
    );
  }
  throw new Error(`no known way to install the Docker client on '${os.prettyName}'`);
}

/** Docker's repository signing key, as docs.docker.com publishes it ("Install Docker Engine on RHEL"). */
export const DOCKER_KEY_FINGERPRINT = "060A61C51B558A7F742B77AAC52FEB6B621E9F35";

/** Where the key goes once checked; our repository file names it (`gpgkey=file://…`). */
export const DOCKER_KEY_PATH = "/etc/pki/rpm-gpg/isa-docker-ce.gpg";

/**
 * Fetches the repository's key (`<base>/gpg`, https only) and keeps it only when it is one key with
 * Docker's published fingerprint: dnf would otherwise import whatever key the mirror served, and
 * packages signed with it would pass.
 */
export function fetchDockerKey(base: string, vars: Vars): Command {
  const url = `${base}/gpg`;
  const spaced = DOCKER_KEY_FINGERPRINT.replace(/(.{4})/g, "$1 ").trim();
  return {
    script: [
      "set -eu",
      proxyEnv(vars.proxy),
      `t=$(mktemp); trap 'rm -f "$t"' EXIT`,
      `curl -fsSL --proto '=https' --max-time 120 -o "$t" ${quote(url)}`,
      `keys=$(gpg --batch --show-keys --with-colons "$t" 2>/dev/null || true)`,
      `n=$(printf '%s\\n' "$keys" | grep -c '^pub:' || true)`,
      `fpr=$(printf '%s\\n' "$keys" | awk -F: '$1 == "fpr" { print $10; exit }')`,
      `if [ "$n" != 1 ] || [ "$fpr" != ${DOCKER_KEY_FINGERPRINT} ]; then`,
      `  echo ${quote(`the key at ${url} is not Docker's (fingerprint ${spaced}): `)}"$n key(s), first ` +
      `\${fpr:-unreadable}"${quote("; refused, nothing installed")} >&2`,
      "  exit 1",
      "fi",
      `install -D -m 644 "$t" ${DOCKER_KEY_PATH}`,
    ].filter(Boolean).join("\n"),
    log: `fetch ${url}, check its fingerprint, keep it as ${DOCKER_KEY_PATH}`,
  };
}

/**
 * The install command of `lines` (the empty ones left out). Its local limit comes a minute after the
 * host-side ones (`hostLimitS`), so the host has killed dnf by the time our ssh gives up: killing the
 * local ssh alone would leave dnf running on the host after our host lock is released.
 */
function installing(lines: string[], hostLimitS: number): Command {
  return {
    script: lines.filter(Boolean).join("\n"),
    log: "install Docker engine",
    timeoutMs: (hostLimitS + 60) * 1000,
  };
}

/**
 * Seconds one package-manager run may take on the host, lock waits and downloads included: dnf is
 * killed then (DNF_BOUNDED); apt's lock wait is its own 60 s (DPkg::Lock::Timeout).
 */
export const PACKAGE_LIMIT_S = 840;

/**
 * Shell: `dnf_bounded ARGS` runs dnf with a limit it can't outwait. dnf has no lock timeout: it waits
 * for another dnf's lock without end ("Waiting for process with pid N to finish"), so `exit_on_lock`
 * makes it fail at once on a lock taken after `waitForPackageLock` found none, and coreutils' `timeout`
 * stops it (TERM, then KILL 30 s later) after PACKAGE_LIMIT_S seconds, saying so. rpm blocks signals
 * during its transaction's critical part, so a TERM there waits for the rpmdb to be consistent.
 */
export const DNF_BOUNDED = `dnf_bounded() {
  rc=0; timeout -k 30 ${PACKAGE_LIMIT_S} dnf --setopt=exit_on_lock=True "$@" || rc=$?
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    echo "dnf did not finish within ${PACKAGE_LIMIT_S} s and was stopped (a slow mirror, or a lock); run again" >&2
  fi
  return $rc
}`;

/** The label that lets containers read a folder when Docker labels them (container-selinux's type). */
export const CONTAINER_FILE_T = "container_file_t";

/**
 * Labels the install folder `container_file_t` persistently (a local file-context rule, then
 * restorecon). Chosen over `label=disable` on our containers because it keeps SELinux confining them
 * (Traefik faces the network), changes no container, and survives a full relabel, where Docker's `:z`
 * relabelling would not. `semanage` comes with policycoreutils-python-utils, installed when missing.
 * Refused unless the folder holds our marker (`claimInstallDir`, planned just before).
 */
export function labelContainerFiles(installDir: string, vars: Vars): Command {
  const re = fcontextPattern(installDir);
  const script = [
    "set -eu",
    proxyEnv(vars.proxy),
    DNF_BOUNDED,
    "command -v semanage >/dev/null 2>&1 || dnf_bounded -y install policycoreutils-python-utils",
    // Only a folder that is ours: a rule for someone else's folder would relabel their files for good.
    requireMarker(installDir, "relabel"),
    `semanage fcontext -a -t ${CONTAINER_FILE_T} ${quote(re)} 2>/dev/null || ` +
    `semanage fcontext -m -t ${CONTAINER_FILE_T} ${quote(re)}`,
    `restorecon -R ${quote(installDir)}`,
  ].filter(Boolean).join("\n");
  return { script, log: `label ${installDir} container_file_t`, timeoutMs: (PACKAGE_LIMIT_S + 60) * 1000 };
}

/** Our file-context rule's pattern: the install folder and everything under it (semanage's regex). */
export function fcontextPattern(installDir: string): string {
  return `${installDir.replace(/[.]/g, "\\.")}(/.*)?`;
}

/**
 * Prints our local file-context rule (`semanage fcontext -l -C`: the host's own rules only) when it
 * exists, else nothing; nothing either where semanage is absent (no SELinux tooling, Debian).
 */
export function fcontextRuleQuery(installDir: string): Command {
  return {
    script: `command -v semanage >/dev/null 2>&1 || exit 0
semanage fcontext -l -C 2>/dev/null | awk -v re=${quote(fcontextPattern(installDir))} '$1 == re' || true`,
    log: `is there a file-context rule for ${installDir} (semanage fcontext -l -C)`,
    check: false,
  };
}

/** Deletes our file-context rule (uninstall --purge), so the policy no longer names a removed folder. */
export function removeFcontextRule(installDir: string): Command {
  return {
    script: `semanage fcontext -d ${quote(fcontextPattern(installDir))}`,
    log: `semanage fcontext -d ${installDir}`,
  };
}

/**
 * Enables at boot, starts, and waits (up to 60 s) until the API answers. When the engine won't
 * start, systemctl only says "see journalctl"; the engine's own last words (e.g. a daemon.json option
 * it rejects) are what an operator needs, so they are added to the error.
 */
export const START_DOCKER: Command = {
  script: `set -eu
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
i=0; until docker info >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 60 ] && { echo "Docker API did not answer within 60 s" >&2; systemctl status docker --no-pager >&2 || true; exit 1; }; sleep 1; done`,
  log: "systemctl enable --now docker; wait for docker info",
};

/** Restarts the engine, so dockerd reads a new proxy drop-in (its containers restart with it). */
export const RESTART_DOCKER: Command = {
  script: "systemctl restart docker",
  log: "restart docker for its proxy settings",
};

/** Debian's package-manager locks (fcntl locks taken by apt and dpkg). */
const DEBIAN_LOCKS = [
  "/var/lib/dpkg/lock-frontend",
  "/var/lib/dpkg/lock",
  "/var/lib/apt/lists/lock",
  "/var/cache/apt/archives/lock",
];

/**
 * dnf's locks: pid files that dnf 4 (RHEL 8 to 10) takes for its rpmdb, metadata and downloads
 * (dnf/lock.py, ProcessLock: it writes its pid and closes the file), and rpm's transaction lock, an
 * fcntl lock that any rpm holds. dnf waits for either without limit ("Waiting for process with pid N").
 */
const DNF_PID_LOCKS = [
  "/var/lib/dnf/rpmdb_lock.pid",
  "/var/cache/dnf/metadata_lock.pid",
  "/var/cache/dnf/download_lock.pid",
];
const RPM_LOCKS = ["/var/lib/rpm/.rpm.lock"];

/** Shell: `pid N (command)` of process `$pid`, its command line cut to 80 characters. */
const NAME_PID = `$(tr '\\0' ' ' < /proc/$pid/cmdline | cut -c1-80 | sed 's/ *$//')`;

/**
 * Prints `pid N (command) holds FILE` for a process that holds one of the package manager's locks
 * (Debian's apt and dpkg, or the RHEL family's dnf and rpm), or nothing. fcntl locks are read from
 * /proc/locks (by inode), waiters (`->`) skipped, and a pid kept only if it really has the file open,
 * so an inode of another file system can't be mistaken. dnf's pid files name a live process.
 */
export function packageLockHolder(family: "rhel" | "debian" | "unknown"): Command {
  const fcntlLocks = family === "rhel" ? RPM_LOCKS : DEBIAN_LOCKS;
  const pidFiles = family === "rhel"
    ? `for f in ${DNF_PID_LOCKS.join(" ")}; do
  pid=$(head -c 20 "$f" 2>/dev/null) || continue
  case "$pid" in ''|*[!0-9]*) continue ;; esac
  if [ -r /proc/$pid/cmdline ]; then echo "pid $pid (${NAME_PID}) holds $f"; exit 0; fi
done
`
    : "";
  return {
    script: `${pidFiles}for f in ${fcntlLocks.join(" ")}; do
  ino=$(stat -c %i "$f" 2>/dev/null) || continue
  for pid in $(awk -v ino="$ino" '$2 != "->" { n = split($6, d, ":"); if (d[n] == ino) print $5 }' /proc/locks); do
    if ls -l /proc/$pid/fd 2>/dev/null | grep -q " $f\$"; then
      echo "pid $pid (${NAME_PID}) holds $f"
      exit 0
    fi
  done
done`,
    log: "who holds the package manager's lock",
  };
}

/** Debian's lock holder question (packageLockHolder("debian")). */
export const PACKAGE_LOCK_HOLDER: Command = packageLockHolder("debian");
