/** The Docker engine: installed or not, its package, its networks, the files we manage for it, its API. */
import { fileSection } from "../base/probe_sections.ts";

/** The host's Docker engine. */
export interface DockerFacts {
  installed: boolean;
  /**
   * The engine is installed but the `docker` client is not: Debian 13 packs it apart (`docker-cli`, only
   * recommended by `docker.io`), and we reach the engine as root through `docker system dial-stdio`.
   */
  clientMissing: boolean;
  running: boolean;
  version: string | null;
  /** Gateway of the default bridge (`docker0`), e.g. 172.17.0.1. */
  bridgeGateway: string | null;
  /** CIDRs of all Docker networks (bridge and user-defined). */
  networks: string[];
  /** IPv4 subnets of each bridge network, by name. */
  networkSubnets: Record<string, string[]>;
  /**
   * Host interface of each bridge network, by name: its `com.docker.network.bridge.name` option, else
   * `br-` and the network ID's first 12 characters, as Docker names it (moby libnetwork
   * drivers/bridge, parseNetworkOptions). The firewall's table matches our network by it.
   */
  networkBridges: Record<string, string>;
  /** IPv4 gateways of each bridge network, by name (the host's address on it). */
  networkGateways: Record<string, string[]>;
  /** Names of the bridge networks. */
  networkNames: string[];
  /** /etc/docker/daemon.json; null when absent. */
  daemonJson: string | null;
  /** Installed engine package and version (`docker-ce 27.0.3-1.el9`), null when none. */
  package: string | null;
}

/** Files we manage for the Docker engine's installation; null when absent. */
export interface DockerFiles {
  /** systemd drop-in giving dockerd the proxy (`/etc/systemd/system/docker.service.d/http-proxy.conf`). */
  proxyDropIn: string | null;
  /** Our Docker CE repository file (`/etc/yum.repos.d/isa-docker-ce.repo`). */
  repoFile: string | null;
}

/** Where we keep the engine's proxy settings: a systemd drop-in, as Docker documents for dockerd. */
export const DOCKER_PROXY_DROPIN = "/etc/systemd/system/docker.service.d/http-proxy.conf";
/** The engine's own settings file (we merge log rotation into it, and SELinux is read from it). */
export const DAEMON_JSON = "/etc/docker/daemon.json";
/** The Docker CE repository file we add on the RHEL family when docker-ce is not installable otherwise. */
export const DOCKER_REPO_FILE = "/etc/yum.repos.d/isa-docker-ce.repo";

/** The engine API reads of the Docker facts, as (section, path). */
export const DOCKER_API: [string, string][] = [
  ["docker-info", "/info"],
  ["docker-networks", "/networks?filters=%7B%22driver%22%3A%5B%22bridge%22%5D%7D"],
];

/**
 * Shell sending every engine API request in one curl on the host's socket (the docker CLI is a large
 * binary, and a curl per request cost as much as the rest of a no-op's probe): curl writes a marker
 * after each response, awk turns the markers into the requests' sections. No socket, no sections:
 * the parsers read absent sections as "no engine".
 */
export function apiBatch(requests: [string, string][]): string {
  if (!requests.length) return "";
  for (const [name, path] of requests) {
    // Section names and URL-encoded paths only: nothing a single-quoted shell word can't hold.
    if (!/^[A-Za-z0-9-]+$/.test(name) || /['\s]/.test(path)) {
      throw new Error(`bad API request ${name} ${path}`);
    }
  }
  const names = requests.map(([n]) => n).join(" ");
  const urls = requests.map(([, p]) => `'http://docker${p}'`).join(" ");
  return `if [ -S /var/run/docker.sock ]; then
  curl -s -m 5 --unix-socket /var/run/docker.sock -w '\\n@@isa-api-next\\n' ${urls} 2>/dev/null |
    awk 'BEGIN { n = split("${names}", s, " "); i = 1; print "@@" s[1] }
      $0 == "@@isa-api-next" { i++; if (i <= n) print "@@" s[i]; next } { print }'
fi
`;
}

/**
 * Shell sections of the engine's installation: dockerd, the package (asked of the package manager only
 * with `packages`), the conflicting tools, docker0's address, daemon.json and our two files.
 */
export function dockerSections(opts: { packages?: boolean }): string {
  return `isa_sec docker-installed; command -v dockerd 2>/dev/null || true
isa_sec docker-client; command -v dockerd >/dev/null 2>&1 && ! command -v docker >/dev/null 2>&1 && echo missing || true
# The package manager costs a tenth to a quarter of a second of the host's CPU: asked only for the
# facts report, and for the conflicting tools only while Docker is still to be installed.
isa_sec docker-package
if [ -n "${opts.packages ? "1" : ""}" ]; then
  if command -v rpm >/dev/null 2>&1; then rpm -q docker-ce moby-engine 2>&1; \\
  elif command -v dpkg-query >/dev/null 2>&1; then dpkg-query -W -f '\${Package} \${Version}\\n' docker.io docker-ce 2>/dev/null; fi
fi
# Docker's RHEL install page removes these first: containerd.io conflicts with them.
isa_sec container-tools
if [ -n "${opts.packages ? "1" : ""}" ] || ! command -v dockerd >/dev/null 2>&1; then
  command -v rpm >/dev/null 2>&1 && rpm -q podman buildah runc 2>&1
fi
isa_sec docker0; [ -e /sys/class/net/docker0 ] && ip -4 -o addr show docker0 2>/dev/null | awk '{print $4}'
isa_file daemon-json ${DAEMON_JSON}
isa_file docker-proxy-dropin ${DOCKER_PROXY_DROPIN}
isa_file docker-repo-file ${DOCKER_REPO_FILE}
`;
}

/**
 * The installed Docker package from `rpm -q docker-ce moby-engine` (NVRA lines, or "package X is
 * not installed") or `dpkg-query -W` ("name version"); null when none is installed.
 */
export function parseDockerPackage(lines: string[]): string | null {
  for (const l of lines.map((x) => x.trim()).filter(Boolean)) {
    if (/ is not installed$/.test(l) || /no packages found/i.test(l)) continue;
    const deb = /^(docker\.io|docker-ce) (\S+)$/.exec(l);
    if (deb) return `${deb[1]} ${deb[2]}`;
    const rpm = /^(docker-ce|moby-engine)-(\d[^-]*)-(\S+)$/.exec(l);
    if (rpm) return `${rpm[1]} ${rpm[2]}-${rpm[3]}`;
  }
  return null;
}

/**
 * Installed packages among those `rpm -q NAME...` was asked about: its NVRA lines (`podman-4.9.4-1.el9.x86_64`),
 * skipping "package X is not installed".
 */
export function parseRpmInstalled(lines: string[], names: string[]): string[] {
  const out: string[] = [];
  for (const l of lines.map((x) => x.trim())) {
    if (!l || / is not installed$/.test(l)) continue;
    const name = names.find((n) => l.startsWith(`${n}-`) && /^\d/.test(l.slice(n.length + 1)));
    if (name && !out.includes(name)) out.push(name);
  }
  return out;
}

/** A network as the engine's API lists it (the fields we read). */
interface DockerNetwork {
  Name: string;
  Id?: string;
  Options?: Record<string, string>;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] };
}

/** The engine's `/info` (the fields we read). */
export interface DockerInfo {
  ServerVersion?: string;
  SecurityOptions?: string[];
}

/** JSON from a section, or null when it is empty or not JSON (engine absent or not answering). */
function parseJson<T>(lines: string[]): T | null {
  try {
    const text = lines.join("\n").trim();
    return text ? JSON.parse(text) as T : null;
  } catch {
    return null;
  }
}

/** The engine's `/info` from its API section; null when the engine did not answer. */
export function parseDockerInfo(get: (section: string) => string[]): DockerInfo | null {
  return parseJson<DockerInfo>(get("docker-info"));
}

/** The Docker facts, the conflicting tools and our files from the probe's sections. */
export function parseDocker(
  s: Map<string, string[]>,
  get: (section: string) => string[],
): { docker: DockerFacts; containerTools: string[]; dockerFiles: DockerFiles } {
  const networks: string[] = [];
  const networkNames: string[] = [];
  const networkSubnets: Record<string, string[]> = {};
  const networkBridges: Record<string, string> = {};
  const networkGateways: Record<string, string[]> = {};
  let bridgeGateway: string | null = null;
  for (const n of parseJson<DockerNetwork[]>(get("docker-networks")) ?? []) {
    networkNames.push(n.Name);
    networkSubnets[n.Name] ??= [];
    const bridge = n.Options?.["com.docker.network.bridge.name"] ||
      (n.Id && n.Id.length >= 12 ? `br-${n.Id.slice(0, 12)}` : "");
    // An interface name as the kernel takes it: it reaches the nft file between double quotes.
    if (/^[A-Za-z0-9_.-]{1,15}$/.test(bridge)) networkBridges[n.Name] = bridge;
    networkGateways[n.Name] ??= [];
    for (const c of n.IPAM?.Config ?? []) {
      if (c.Subnet && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(c.Subnet)) {
        networks.push(c.Subnet);
        networkSubnets[n.Name].push(c.Subnet);
      }
      if (c.Gateway && /^\d+\.\d+\.\d+\.\d+$/.test(c.Gateway)) networkGateways[n.Name].push(c.Gateway);
      if (n.Name === "bridge" && c.Gateway) bridgeGateway = c.Gateway;
    }
  }
  const docker0 = get("docker0")[0];
  if (!bridgeGateway && docker0) bridgeGateway = docker0.split("/")[0];
  const version = parseDockerInfo(get)?.ServerVersion ?? null;
  return {
    docker: {
      installed: get("docker-installed").length > 0,
      clientMissing: get("docker-client").includes("missing"),
      running: version !== null,
      version,
      bridgeGateway,
      networks: [...new Set(networks)],
      networkNames,
      networkSubnets,
      networkBridges,
      networkGateways,
      package: parseDockerPackage(get("docker-package")),
      daemonJson: fileSection(s.get("daemon-json")),
    },
    containerTools: parseRpmInstalled(get("container-tools"), ["podman", "buildah", "runc"]),
    dockerFiles: {
      proxyDropIn: fileSection(s.get("docker-proxy-dropin")),
      repoFile: fileSection(s.get("docker-repo-file")),
    },
  };
}
