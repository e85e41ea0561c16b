import type { ApacheFacts, Facts } from "./facts.ts";
import { quote } from "../transport/quote.ts";

/**
 * The one script that probes a host (one SSH round trip). It prints sections `@@name` followed by
 * raw command output; `parseFacts` turns them into Facts. Raw output keeps parsing testable from
 * real captures (os-release, httpd -V, httpd -M) without a host.
 */
export function factsScript(installDir: string): string {
  return `
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
echo @@os-release; cat /etc/os-release 2>/dev/null
echo @@login-user; echo "\${SUDO_USER:-$(id -un)}"
echo @@init; if [ -d /run/systemd/system ]; then echo systemd; else echo other; fi
ctl=""
for c in apachectl apache2ctl; do if command -v $c >/dev/null 2>&1; then ctl=$c; break; fi; done
bin=""; for b in /usr/sbin/httpd /usr/sbin/apache2; do [ -x $b ] && bin=$b && break; done
echo @@apache-binary; [ -n "$bin" ] && echo $bin
if [ -n "$ctl" ]; then
  v=$($ctl -V 2>&1)
  echo @@apache-V; printf '%s\\n' "$v"
  echo @@apache-M; $ctl -t -D DUMP_MODULES 2>&1
  root=$(printf '%s\\n' "$v" | sed -n 's/.*HTTPD_ROOT="\\(.*\\)"/\\1/p')
  # Only what Apache loads: Debian's *-available folders hold files that are not in force.
  case "$bin" in
    *apache2) live="$root/apache2.conf $root/ports.conf $root/conf-enabled $root/mods-enabled $root/sites-enabled"
              ours="$root/conf-available/EPFL_isa.conf" ;;
    *)        live="$root/conf $root/conf.d $root/conf.modules.d"; ours="$root/conf.d/EPFL_isa.conf" ;;
  esac
  echo @@apache-status-locations
  [ -n "$root" ] && grep -RniE --include='*.conf' '^[[:space:]]*<Location[[:space:]]+"?/server-status' $live 2>/dev/null
  echo @@apache-extendedstatus
  [ -n "$root" ] && grep -RhiE --include='*.conf' '^[[:space:]]*ExtendedStatus[[:space:]]' $live 2>/dev/null
  echo @@apache-ours; [ -f "$ours" ] && base64 < "$ours"
  echo @@apache-enabled
  [ -e "$root/conf-enabled/EPFL_isa.conf" ] && echo conf
  [ -e "$root/mods-enabled/status.load" ] && echo mod
  echo @@apache-active
  for s in httpd apache2; do systemctl is-active $s 2>/dev/null | grep -qx active && echo $s; done
fi
# The engine's API through curl rather than the docker CLI (a large binary to start, on every host at once).
api() { curl -s -m 5 --unix-socket /var/run/docker.sock "http://docker$1" 2>/dev/null; echo; }
echo @@docker-version; [ -S /var/run/docker.sock ] && api /version
echo @@docker-installed; command -v dockerd 2>/dev/null || true
echo @@docker-package
if command -v rpm >/dev/null 2>&1; then rpm -q docker-ce moby-engine 2>&1; \
elif command -v dpkg-query >/dev/null 2>&1; then dpkg-query -W -f '\${Package} \${Version}\n' docker.io docker-ce 2>/dev/null; fi
echo @@docker-networks; [ -S /var/run/docker.sock ] && api '/networks?filters=%7B%22driver%22%3A%5B%22bridge%22%5D%7D'
echo @@docker0; ip -4 -o addr show docker0 2>/dev/null | awk '{print $4}'
echo @@daemon-json; [ -f /etc/docker/daemon.json ] && base64 < /etc/docker/daemon.json
echo @@disk
d=${quote(installDir)}; while [ ! -d "$d" ]; do d=$(dirname "$d"); done; df -Pm "$d" | awk 'NR==2 {print $4}'
echo @@firewall
command -v iptables >/dev/null 2>&1 && echo iptables
command -v nft >/dev/null 2>&1 && echo nftables
systemctl is-active firewalld 2>/dev/null | grep -qx active && echo firewalld
command -v netfilter-persistent >/dev/null 2>&1 && echo netfilter-persistent
[ -x /usr/libexec/iptables/iptables.init ] && echo iptables-services
echo @@end
`;
}

/** Splits probe output into its sections. */
export function sections(output: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur: string[] | null = null;
  for (const line of output.split("\n")) {
    const m = /^@@([A-Za-z0-9-]+)$/.exec(line);
    if (m) {
      cur = [];
      out.set(m[1], cur);
    } else if (cur) cur.push(line);
  }
  for (const v of out.values()) while (v.length && v.at(-1) === "") v.pop();
  return out;
}

/** Parses /etc/os-release (shell-style KEY=value, optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2];
    if (/^".*"$/.test(v) || /^'.*'$/.test(v)) v = v.slice(1, -1).replace(/\\(["$`\\])/g, "$1");
    out[m[1]] = v;
  }
  return out;
}

/** The OS family from os-release's ID and ID_LIKE. */
export function osFamily(id: string, idLike: string[]): "rhel" | "debian" | "unknown" {
  const all = [id, ...idLike];
  if (all.some((x) => ["rhel", "centos", "fedora", "rocky", "almalinux"].includes(x))) return "rhel";
  if (all.some((x) => ["debian", "ubuntu"].includes(x))) return "debian";
  return "unknown";
}

/** Parses `httpd -V` / `apachectl -V` output. */
export function parseApacheV(
  lines: string[],
): { version: string; mpm: string; root: string; config: string } {
  const text = lines.join("\n");
  return {
    version: /Server version:\s*Apache\/(\S+)/.exec(text)?.[1] ?? "",
    mpm: /Server MPM:\s*(\S+)/.exec(text)?.[1] ?? "",
    root: /-D HTTPD_ROOT="([^"]*)"/.exec(text)?.[1] ?? "",
    config: /-D SERVER_CONFIG_FILE="([^"]*)"/.exec(text)?.[1] ?? "",
  };
}

/** Module names from `httpd -M` / `-D DUMP_MODULES` output. */
export function parseModules(lines: string[]): Set<string> {
  const out = new Set<string>();
  for (const l of lines) {
    const m = /^\s+(\w+_module)\s+\((shared|static)\)/.exec(l);
    if (m) out.add(m[1]);
  }
  return out;
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

/** A file the probe sent base64-encoded (any bytes survive); null when the section is empty (absent). */
function fromBase64(lines: string[]): string | null {
  const b64 = lines.join("").replace(/\s+/g, "");
  if (!b64) return null;
  const bin = atob(b64);
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** A network as the engine's API lists it (the fields we read). */
interface DockerNetwork {
  Name: string;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] };
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

/** Turns the probe's output into Facts. */
export function parseFacts(output: string): Facts {
  const s = sections(output);
  const get = (k: string) => s.get(k) ?? [];
  const os = parseOsRelease(get("os-release").join("\n"));
  const idLike = (os.ID_LIKE ?? "").split(/\s+/).filter(Boolean);
  const family = osFamily(os.ID ?? "", idLike);

  let apache: ApacheFacts | null = null;
  const binary = get("apache-binary")[0];
  if (binary) {
    const v = parseApacheV(get("apache-V"));
    const modules = parseModules(get("apache-M"));
    const debianLayout = binary.endsWith("apache2");
    const confDir = debianLayout
      ? `${v.root || "/etc/apache2"}/conf-available`
      : `${v.root || "/etc/httpd"}/conf.d`;
    const ext = get("apache-extendedstatus").map((l) => l.trim().toLowerCase());
    const statusModule = modules.has("status_module");
    apache = {
      binary,
      service: debianLayout ? "apache2" : "httpd",
      confDir,
      confFile: `${confDir}/EPFL_isa.conf`,
      layout: debianLayout ? "debian" : "rhel",
      version: v.version,
      mpm: v.mpm,
      statusModule,
      authzCore: modules.has("authz_core_module"),
      // Since 2.3.6 loading mod_status turns ExtendedStatus on unless a directive says Off.
      extendedStatus: ext.length ? /\son$/.test(ext.at(-1)!) : statusModule && !v.version.startsWith("2.2"),
      running: get("apache-active").length > 0,
      configOk: get("apache-M").some((l) => l.trim() === "Syntax OK") || modules.size > 0,
      configMessage: get("apache-M").filter((l) =>
        !/^\s+\w+_module/.test(l) && l.trim() !== "Loaded Modules:"
      )
        .join("\n").trim(),
      statusLocations: get("apache-status-locations").filter(Boolean),
      ourFile: fromBase64(get("apache-ours")),
      confEnabled: get("apache-enabled").includes("conf"),
      statusLoadEnabled: get("apache-enabled").includes("mod"),
    };
  }

  const networks: string[] = [];
  const networkNames: string[] = [];
  const networkSubnets: Record<string, string[]> = {};
  let bridgeGateway: string | null = null;
  for (const n of parseJson<DockerNetwork[]>(get("docker-networks")) ?? []) {
    networkNames.push(n.Name);
    networkSubnets[n.Name] ??= [];
    for (const c of n.IPAM?.Config ?? []) {
      if (c.Subnet && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(c.Subnet)) {
        networks.push(c.Subnet);
        networkSubnets[n.Name].push(c.Subnet);
      }
      if (n.Name === "bridge" && c.Gateway) bridgeGateway = c.Gateway;
    }
  }
  const docker0 = get("docker0")[0];
  if (!bridgeGateway && docker0) bridgeGateway = docker0.split("/")[0];
  const fw = new Set(get("firewall"));
  const version = parseJson<{ Version?: string }>(get("docker-version"))?.Version ?? null;
  return {
    os: {
      id: os.ID ?? "",
      idLike,
      versionId: os.VERSION_ID ?? "",
      family,
      prettyName: os.PRETTY_NAME ?? os.NAME ?? "unknown",
    },
    init: get("init")[0] === "systemd" ? "systemd" : "other",
    apache,
    docker: {
      installed: get("docker-installed").length > 0,
      running: version !== null,
      version,
      bridgeGateway,
      networks: [...new Set(networks)],
      networkNames,
      networkSubnets,
      package: parseDockerPackage(get("docker-package")),
      daemonJson: fromBase64(get("daemon-json")),
    },
    // NaN when df printed nothing usable: unknown is not "0 MiB free".
    diskFreeMb: Number.parseInt(get("disk")[0] ?? "", 10),
    firewall: {
      iptables: fw.has("iptables"),
      firewalld: fw.has("firewalld"),
      nftables: fw.has("nftables"),
      persistence: fw.has("netfilter-persistent")
        ? "netfilter-persistent"
        : fw.has("iptables-services")
        ? "iptables-services"
        : "none",
    },
    loginUser: get("login-user")[0] ?? "",
  };
}
