import type { Facts } from "./facts.ts";

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
 * Docker documents it for RHEL 8/9. The package manager's lock is waited for, up to 5 minutes.
 */
export function installScript(facts: Facts): string {
  if (facts.os.family === "debian") {
    return [
      "set -eu",
      "export DEBIAN_FRONTEND=noninteractive",
      "apt-get -o DPkg::Lock::Timeout=300 update -qq",
      "apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends docker.io",
    ].join("\n");
  }
  if (facts.os.family === "rhel") {
    const repo = facts.os.id === "centos" ? "centos" : "rhel";
    return [
      "set -eu",
      "dnf -y install dnf-plugins-core",
      `dnf config-manager --add-repo https://download.docker.com/linux/${repo}/docker-ce.repo`,
      "dnf -y install docker-ce docker-ce-cli containerd.io",
    ].join("\n");
  }
  throw new Error(`no known way to install Docker on '${facts.os.prettyName}'`);
}

/** Script: enable at boot, start, and wait (up to 60 s) until the API answers. */
export const START_SCRIPT = `set -eu
systemctl enable --now docker >/dev/null 2>&1 || systemctl start docker
i=0; until docker info >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 60 ] && { echo "Docker API did not answer within 60 s" >&2; systemctl status docker --no-pager >&2 || true; exit 1; }; sleep 1; done`;
