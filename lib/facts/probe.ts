import type { ApacheFacts, Facts, SelinuxFacts, ServiceAccountFacts } from "./facts.ts";
import { quote } from "../base/quote.ts";
import { fileSection, PROBE_FUNCTIONS, sections } from "../base/probe_sections.ts";
import { APACHE_CONF_FILE, LOCK_DIR, SERVICE_ACCOUNT } from "../base/names.ts";

/** Where we keep the engine's proxy settings: a systemd drop-in, as Docker documents for dockerd. */
export const DOCKER_PROXY_DROPIN = "/etc/systemd/system/docker.service.d/http-proxy.conf";
/** The Docker CE repository file we add on the RHEL family when docker-ce is not installable otherwise. */
export const DOCKER_REPO_FILE = "/etc/yum.repos.d/isa-docker-ce.repo";

/**
 * Shell: from `$inc` (the output of `-t -D DUMP_INCLUDES`), every `<Location /server-status>` and every
 * ExtendedStatus in the files Apache really loads, in load order (the last ExtendedStatus wins). A vhost
 * included from anywhere counts; Debian's *-available folders, whose files are not in force, don't.
 */
export const APACHE_SEARCH = `files=$(printf '%s\\n' "$inc" | sed -n 's/^ *([*0-9]*) //p')
# One grep per search over every file (in load order: grep keeps its arguments' order).
isa_sec apache-status-locations
printf '%s\\n' "$files" | tr '\\n' '\\0' | xargs -0 grep -sHniE '^[[:space:]]*<Location(Match)?[[:space:]]+"?[^">]*/server-status'
isa_sec apache-extendedstatus
printf '%s\\n' "$files" | tr '\\n' '\\0' | xargs -0 grep -shiE '^[[:space:]]*ExtendedStatus[[:space:]]'
true
`;

/** Root-only folder (made by the host lock) where the probe keeps its last answers about Apache. */
export const APACHE_CACHE_DIR = LOCK_DIR;

/** The engine API reads of the facts, as (section, path). */
const FACTS_API: [string, string][] = [
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

const indent = (text: string) => text.trimEnd().split("\n").map((l) => `  ${l}`).join("\n") + "\n";

/**
 * The one script that probes a host (one SSH round trip). It prints sections `@@name` followed by
 * raw command output; `parseFacts` turns them into Facts. Raw output keeps parsing testable from
 * real captures (os-release, httpd -V, httpd -t -D DUMP_MODULES) without a host.
 */
export function factsScript(
  installDir: string,
  extra = "",
  opts: { packages?: boolean; api?: [string, string][] } = {},
): string {
  return `
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
${PROBE_FUNCTIONS}
isa_sec os-release; cat /etc/os-release 2>/dev/null
isa_sec login-user; echo "\${SUDO_USER:-$(id -un)}"
isa_sec init; if [ -d /run/systemd/system ]; then echo systemd; else echo other; fi
# One systemctl for the three units (it prints one state per unit, in order).
set -- $(systemctl is-active firewalld httpd apache2 2>/dev/null)
firewalld_state=$1 httpd_state=$2 apache2_state=$3
bin=""; for b in /usr/sbin/httpd /usr/sbin/apache2; do [ -x $b ] && bin=$b && break; done
isa_sec apache-binary; [ -n "$bin" ] && echo $bin
if [ -n "$bin" ]; then
  # RHEL's apachectl is a wrapper meant for one argument: given -t -D DUMP_MODULES, RHEL 9's prints
  # "Passing arguments to httpd using apachectl is no longer supported" and exits 1, RHEL 8's prints
  # the same warning before httpd's output (tests/fixtures/README.md). So httpd itself is asked there. Debian's apache2 refuses to read its
  # configuration without /etc/apache2/envvars, which apache2ctl sources before passing its arguments on.
  case "$bin" in *apache2) ctl=apache2ctl ;; *) ctl=$bin ;; esac
  isa_sec apache-ctl; echo $ctl
  # Asking Apache (-V, -t -D DUMP_MODULES, -t -D DUMP_INCLUDES) parses its whole configuration three
  # times. The answers are kept in the root-only folder of the host lock (in /run: gone at reboot) with
  # a fingerprint of what they depend on: size, times and inode of the binary, of every file Apache
  # loaded, of their folders (a file added to an Include glob changes its folder) and of the root's
  # folders. While that fingerprint holds, the answers are reused; an edit anywhere asks Apache again.
  # Nothing is cached where that folder is missing or not root's 0700 (check mode on a new host).
  c=${APACHE_CACHE_DIR}
  cacheable=""
  [ -d $c ] && [ ! -L $c ] && [ "$(stat -c '%u %a' $c 2>/dev/null)" = "0 700" ] && cacheable=1
  fingerprint() {
    { stat -c '%n %s %Y %Z %i' "$bin" /etc/sysconfig/httpd 2>/dev/null
      [ -f $c/apache-paths ] && tr '\\n' '\\0' < $c/apache-paths | xargs -0 stat -c '%n %s %Y %Z %i' 2>&1
    } | cksum
  }
  if [ -n "$cacheable" ] && [ -f $c/apache-probe ] && [ "$(head -n 1 $c/apache-probe)" = "$(fingerprint)" ]; then
    answers=$(sed 1d $c/apache-probe)
  else
    t0=$(date +%s)
    v=$($ctl -V 2>&1)
    m=$($ctl -t -D DUMP_MODULES 2>&1); rc=$?
    inc=$($ctl -t -D DUMP_INCLUDES 2>/dev/null)
    root=$(printf '%s\\n' "$v" | sed -n 's/.*HTTPD_ROOT="\\(.*\\)"/\\1/p')
    # The main file Apache really read ((*) in the include list) wins over -V's compiled-in root.
    main=$(printf '%s\\n' "$inc" | sed -n 's/^ *(\\*) //p')
    if [ -n "$main" ]; then
      case "$bin" in *apache2) root=$(dirname "$main") ;; *) root=$(dirname "$(dirname "$main")") ;; esac
    fi
    answers=$(
      isa_sec apache-V; printf '%s\\n' "$v"
      isa_sec apache-M; printf '%s\\n' "$m"
      isa_sec apache-M-exit; echo $rc
      isa_sec apache-includes; printf '%s\\n' "$inc"
      isa_sec apache-root; printf '%s\\n' "$root"
${indent(indent(indent(APACHE_SEARCH)))}    )
    # Only a valid configuration is kept, and only when nothing it depends on changed during this
    # second (an edit racing the three calls would otherwise be cached under its new fingerprint).
    if [ -n "$cacheable" ] && [ "$rc" = 0 ]; then
      loaded=$(printf '%s\\n' "$inc" | sed -n 's/^ *([*0-9]*) //p')
      { printf '%s\\n' "$loaded"; printf '%s\\n' "$loaded" | sed 's|/[^/]*$||'
        for d in "$root" "$root"/*/; do [ -d "$d" ] && printf '%s\\n' "\${d%/}"; done
      } | sort -u > $c/apache-paths.new && mv -f $c/apache-paths.new $c/apache-paths
      newest=$(tr '\\n' '\\0' < $c/apache-paths | xargs -0 stat -c '%Y %Z' "$bin" 2>/dev/null | tr ' ' '\\n' | sort -n | tail -n 1)
      if [ "\${newest:-$t0}" -lt "$t0" ]; then
        { fingerprint; printf '%s\\n' "$answers"; } > $c/apache-probe.new && mv -f $c/apache-probe.new $c/apache-probe
      else
        rm -f $c/apache-probe
      fi
    fi
  fi
  printf '%s\\n' "$answers"
  root=$(printf '%s\\n' "$answers" | sed -n '/^@@apache-root$/{n;p;}')
  case "$bin" in *apache2) ours="$root/conf-available/${APACHE_CONF_FILE}" ;; *) ours="$root/conf.d/${APACHE_CONF_FILE}" ;; esac
  isa_file apache-ours "$ours"
  isa_sec apache-enabled
  [ -e "$root/conf-enabled/${APACHE_CONF_FILE}" ] && echo conf
  [ -e "$root/mods-enabled/status.load" ] && echo mod
  isa_sec apache-active
  [ "$httpd_state" = active ] && echo httpd
  [ "$apache2_state" = active ] && echo apache2
fi
isa_sec docker-installed; command -v dockerd 2>/dev/null || true
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
isa_sec docker0; ip -4 -o addr show docker0 2>/dev/null | awk '{print $4}'
isa_file daemon-json /etc/docker/daemon.json
isa_file docker-proxy-dropin ${DOCKER_PROXY_DROPIN}
isa_file docker-repo-file ${DOCKER_REPO_FILE}
d=${quote(installDir)}
isa_sec selinux
if command -v getenforce >/dev/null 2>&1; then
  echo "mode $(getenforce)"
  [ -e "$d" ] && echo "label $(stat -c %C "$d" 2>/dev/null)"
  command -v matchpathcon >/dev/null 2>&1 && echo "default $(matchpathcon -n "$d" 2>/dev/null)"
fi
isa_sec disk
while [ ! -d "$d" ]; do d=$(dirname "$d"); done; df -Pm "$d" | awk 'NR==2 {print $4}'
isa_sec firewall
command -v iptables >/dev/null 2>&1 && echo iptables
command -v nft >/dev/null 2>&1 && echo nftables
[ "$firewalld_state" = active ] && echo firewalld
command -v netfilter-persistent >/dev/null 2>&1 && echo netfilter-persistent
[ -x /usr/libexec/iptables/iptables.init ] && echo iptables-services
isa_sec service-account; getent passwd ${SERVICE_ACCOUNT} 2>/dev/null
${extra}${apiBatch([...FACTS_API, ...(opts.api ?? [])])}isa_sec end
`;
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

/** A network as the engine's API lists it (the fields we read). */
interface DockerNetwork {
  Name: string;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] };
}

/** The engine's `/info` (the fields we read). */
interface DockerInfo {
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

/**
 * Files Apache loads, from `-t -D DUMP_INCLUDES`: a header line, then `  (*) /main.conf` and one
 * `(line) /path` per included file, indented by depth (httpd 2.4.37 server/config.c, dump_config_name).
 */
export function parseIncludes(lines: string[]): string[] {
  return lines.flatMap((l) => {
    const m = /^\s*\((?:\*|\d+)\)\s+(\/.*?)\s*$/.exec(l);
    return m ? [m[1]] : [];
  });
}

/** The Red Hat family's apachectl wrapper refusing arguments (tests/fixtures/el9-apachectl-refusal.txt). */
const WRAPPER_REFUSAL = /using apachectl is no longer supported|apachectl: The "\S+" option is not supported/;

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

/** SELinux facts from the probe's `mode`, `label` and `default` lines, and whether Docker labels containers. */
function parseSelinux(lines: string[], daemonJson: string | null, info: DockerInfo | null): SelinuxFacts {
  const kv = new Map(lines.map((l) => [l.split(" ")[0], l.slice(l.indexOf(" ") + 1).trim()]));
  const m = (kv.get("mode") ?? "").toLowerCase();
  const mode = m === "enforcing" || m === "permissive" || m === "disabled" ? m : "absent";
  let daemon: Record<string, unknown> = {};
  try {
    daemon = daemonJson ? JSON.parse(daemonJson) : {};
  } catch { /* the Docker step reports a broken daemon.json */ }
  // A running engine says what it does; a stopped one will do what daemon.json says (off by default).
  const dockerLabels = info?.SecurityOptions
    ? info.SecurityOptions.some((o) => o.split(",").includes("name=selinux"))
    : daemon["selinux-enabled"] === true;
  return {
    mode,
    dockerLabels,
    installDirLabel: kv.get("label") || null,
    installDirDefault: kv.get("default") || null,
  };
}

/** The passwd line of our system user (`name:x:uid:gid:gecos:home:shell`); null when absent or malformed. */
export function parseServiceAccount(lines: string[]): ServiceAccountFacts | null {
  const f = (lines.find((l) => l.startsWith(`${SERVICE_ACCOUNT}:`)) ?? "").split(":");
  if (f.length !== 7 || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) return null;
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5], shell: f[6] };
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
    const includes = parseIncludes(get("apache-includes"));
    // As the probe does: the main file Apache read (Debian: ROOT/apache2.conf, RHEL: ROOT/conf/httpd.conf)
    // wins over -V's compiled-in HTTPD_ROOT, which a packaged -d or -f makes wrong.
    const main = includes[0];
    const up = (p: string) => p.replace(/\/[^/]*$/, "");
    const root = main
      ? (debianLayout ? up(main) : up(up(main)))
      : v.root || (debianLayout ? "/etc/apache2" : "/etc/httpd");
    const confDir = debianLayout ? `${root}/conf-available` : `${root}/conf.d`;
    const ext = get("apache-extendedstatus").map((l) => l.trim().toLowerCase());
    const statusModule = modules.has("status_module");
    const dump = get("apache-M");
    const exit = get("apache-M-exit")[0];
    const refused = dump.some((l) => WRAPPER_REFUSAL.test(l));
    apache = {
      binary,
      ctl: get("apache-ctl")[0] ?? binary,
      configFile: main ?? (v.config.startsWith("/") ? v.config : `${root}/${v.config || "conf/httpd.conf"}`),
      includes,
      service: debianLayout ? "apache2" : "httpd",
      confDir,
      confFile: `${confDir}/${APACHE_CONF_FILE}`,
      layout: debianLayout ? "debian" : "rhel",
      version: v.version,
      mpm: v.mpm,
      statusModule,
      authzCore: modules.has("authz_core_module"),
      // Since 2.3.6 loading mod_status turns ExtendedStatus on unless a directive says Off.
      extendedStatus: ext.length ? /\son$/.test(ext.at(-1)!) : statusModule && !v.version.startsWith("2.2"),
      running: get("apache-active").length > 0,
      configOk: !refused && (exit === undefined ? modules.size > 0 : exit === "0"),
      configMessage: refused
        ? `the apachectl wrapper refused the arguments (the probe must call httpd itself):\n${
          dump.join("\n")
        }`
        : dump.filter((l) => !/^\s+\w+_module/.test(l) && l.trim() !== "Loaded Modules:").join("\n").trim(),
      statusLocations: get("apache-status-locations").filter(Boolean),
      ourFile: fileSection(s.get("apache-ours")),
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
  const info = parseJson<DockerInfo>(get("docker-info"));
  const version = info?.ServerVersion ?? null;
  const daemonJson = fileSection(s.get("daemon-json"));
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
      daemonJson,
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
    selinux: parseSelinux(get("selinux"), daemonJson, info),
    containerTools: parseRpmInstalled(get("container-tools"), ["podman", "buildah", "runc"]),
    dockerFiles: {
      proxyDropIn: fileSection(s.get("docker-proxy-dropin")),
      repoFile: fileSection(s.get("docker-repo-file")),
    },
    serviceAccount: parseServiceAccount(get("service-account")),
  };
}
