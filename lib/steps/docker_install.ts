import type { Facts } from "../facts/facts.ts";
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
 * The script that installs the Docker engine with the host's package manager.
 * Debian/Ubuntu: the distribution's docker.io. RHEL family: Docker's docker-ce repository, as
 * Docker documents it for RHEL 8/9. On Debian the lock is first waited for by `waitForPackageLock`
 * (which says who holds it); apt's own wait only covers a lock taken in between.
 */
export function installScript(facts: Facts): string {
  if (facts.os.family === "debian") {
    return [
      "set -eu",
      "export DEBIAN_FRONTEND=noninteractive",
      // An install cut off earlier (lost connection, Ctrl-C) can leave dpkg half-way; apt then
      // refuses everything until this is run. It does nothing when dpkg is consistent.
      "dpkg --configure -a",
      "apt-get -o DPkg::Lock::Timeout=60 update -qq",
      "apt-get -o DPkg::Lock::Timeout=60 install -y -qq --no-install-recommends docker.io",
    ].join("\n");
  }
  if (facts.os.family === "rhel") {
    // Docker publishes repositories for RHEL, Fedora and CentOS; Rocky and Alma use CentOS's, as
    // Docker's own install notes for those rebuilds say.
    const repo = facts.os.id === "rhel" ? "rhel" : facts.os.id === "fedora" ? "fedora" : "centos";
    return [
      "set -eu",
      "dnf -y install dnf-plugins-core",
      `dnf config-manager --add-repo https://download.docker.com/linux/${repo}/docker-ce.repo`,
      "dnf -y install docker-ce docker-ce-cli containerd.io",
    ].join("\n");
  }
  throw new Error(`no known way to install Docker on '${facts.os.prettyName}'`);
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
