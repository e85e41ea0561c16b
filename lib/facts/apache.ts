/**
 * Apache httpd: where it is, how it is laid out, what it loads and whether our file is in force. Its
 * shell section, its parsers and its type side by side.
 */
import { APACHE_CONF_FILE, LOCK_DIR } from "../base/names.ts";
import { fileSection } from "../base/probe_sections.ts";

/** Apache httpd as found on the host. */
export interface ApacheFacts {
  binary: string;
  /**
   * The command that takes httpd's own arguments (`-t`, `-t -D DUMP_INCLUDES -D DUMP_MODULES`): `/usr/sbin/httpd` on
   * RHEL (its `apachectl` is a wrapper that refuses more than one argument), `apache2ctl` on Debian (it
   * sources /etc/apache2/envvars, without which `apache2` refuses to start).
   */
  ctl: string;
  /**
   * The arguments systemd gives Apache: httpd's `OPTIONS` or Debian's `APACHE_ARGUMENTS`, from the
   * unit's Environment (`systemctl edit`); "" when unset. Passed to every question and to `-t`.
   */
  options: string;
  /** Main configuration file: the first file `-t -D DUMP_INCLUDES` lists, else the layout's. */
  configFile: string;
  /** Every file Apache loads, in order (`-t -D DUMP_INCLUDES`). */
  includes: string[];
  /** systemd unit: `httpd` or `apache2`. */
  service: string;
  /** Directory where our `EPFL_isa.conf` lives. */
  confDir: string;
  /** Full path of our file. */
  confFile: string;
  /** Debian: conf-available + a2enconf; RHEL: conf.d. */
  layout: "debian" | "rhel";
  version: string;
  mpm: string;
  statusModule: boolean;
  authzCore: boolean;
  extendedStatus: boolean;
  running: boolean;
  /** The configuration test (`<ctl> -t -D DUMP_INCLUDES -D DUMP_MODULES`) passes. */
  configOk: boolean;
  /** What the config test printed besides the module list (errors, warnings). */
  configMessage: string;
  /** `file:line:text` of every `<Location /server-status>` in the files Apache loads (`includes`). */
  statusLocations: string[];
  /** Content of our EPFL_isa.conf; null when absent (an empty file is ""). */
  ourFile: string | null;
  /** Debian: conf-enabled/EPFL_isa.conf exists. */
  confEnabled: boolean;
  /** Debian: mods-enabled/status.load exists. */
  statusLoadEnabled: boolean;
}

/**
 * The two layouts, decided once for the probe's shell and the parser: Debian's apache2 (our file in
 * conf-available/, enabled by a2enconf; its main file is ROOT/apache2.conf) and the RHEL family's
 * httpd (conf.d/, read as it is; its main file is ROOT/conf/httpd.conf). The binary's name decides.
 */
export const APACHE_LAYOUTS = {
  debian: {
    service: "apache2",
    confDir: "conf-available",
    defaultRoot: "/etc/apache2",
    mainFile: "apache2.conf",
    mainDepth: 1,
  },
  rhel: {
    service: "httpd",
    confDir: "conf.d",
    defaultRoot: "/etc/httpd",
    mainFile: "conf/httpd.conf",
    mainDepth: 2,
  },
} as const;

const DEBIAN = APACHE_LAYOUTS.debian;
const RHEL = APACHE_LAYOUTS.rhel;

/** The layout of the Apache whose binary is `binary` (`*apache2` is Debian's, as the shell's `case` says). */
export function apacheLayout(binary: string): "debian" | "rhel" {
  return binary.endsWith("apache2") ? "debian" : "rhel";
}

/**
 * Shell: from `$inc` (the output of `-t -D DUMP_INCLUDES`, alone or with the module list: only its
 * `(*)`/`(N)` lines are read), every `<Location /server-status>` and every
 * ExtendedStatus in the files Apache really loads, in load order (the last ExtendedStatus wins). A vhost
 * included from anywhere counts; Debian's *-available folders, whose files are not in force, don't.
 * Also the root (section apache-root): the main file Apache read (`(*)`) `$up` folders up, else `$root`.
 * One awk reads the list and every file, printing what `grep -sHniE` and `grep -shiE` printed (`file:line:text`,
 * the lines): a light host paid ~10 processes for the former sed, dirname, tr, xargs and grep pipelines.
 */
export const APACHE_SEARCH = `printf '%s\\n' "$inc" | awk -v up="$up" -v root="$root" '
  function dir(p) { sub(/\\/+$/, "", p); if (p == "") return "/"; if (p !~ /\\//) return "."
    sub(/\\/+[^\\/]*$/, "", p); return p == "" ? "/" : p }
  /^ *\\([*0-9]*\\) / { f = $0; sub(/^ *\\([*0-9]*\\) /, "", f); files[++n] = f; if (main == "" && $0 ~ /^ *\\(\\*\\) /) main = f }
  END {
    if (main != "") { root = main; for (i = 0; i < up; i++) root = dir(root) }
    print "@@apache-root"; print root
    print "@@apache-status-locations"
    for (i = 1; i <= n; i++) {
      ln = 0
      while ((getline l < files[i]) > 0) {
        ln++; s = tolower(l)
        if (s ~ /^[[:space:]]*<location(match)?[[:space:]]+"?[^">]*\\/server-status/) print files[i] ":" ln ":" l
        if (s ~ /^[[:space:]]*extendedstatus[[:space:]]/) ext = ext l "\\n"
      }
      close(files[i])
    }
    print "@@apache-extendedstatus"; printf "%s", ext
  }'
`;

/**
 * Shell: the arguments systemd starts Apache with, as `$opts` (printed as section apache-options) and
 * `$unit_env` (the unit's whole Environment, which the cache's fingerprint covers: /etc/sysconfig/httpd is
 * read by no EL8+ unit; an empty one, the usual, costs no pipeline). Red Hat's httpd.service runs `httpd $OPTIONS -DFOREGROUND` and says to set
 * OPTIONS with `systemctl edit` (`Environment=OPTIONS=-D…`); Debian's apache2ctl passes
 * `$APACHE_ARGUMENTS` to apache2 and is what apache2.service runs. `systemctl show` quotes an entry
 * holding spaces (`"OPTIONS=-DA -DB"`); xargs undoes that quoting without a shell's eval. httpd is then
 * given `$opts_args` unquoted with globbing off (set -f), split on blanks as systemd splits `$OPTIONS`; apache2ctl
 * gets the variable, as under systemd (its envvars may still override it there as here).
 */
export const APACHE_OPTIONS =
  `case "$bin" in *apache2) unit=apache2; var=APACHE_ARGUMENTS ;; *) unit=httpd; var=OPTIONS ;; esac
unit_env=$(systemctl show -p Environment --value $unit 2>/dev/null)
opts=""
[ -n "$unit_env" ] && opts=$(printf '%s\\n' "$unit_env" | xargs -n 1 printf '%s\\n' 2>/dev/null | sed -n "s/^$var=//p" | tail -n 1)
isa_sec apache-options; printf '%s\\n' "$opts"
opts_args=""
if [ -n "$opts" ]; then case "$bin" in *apache2) export APACHE_ARGUMENTS="$opts" ;; *) opts_args=$opts ;; esac; fi
`;

/** Root-only folder (made by the host lock) where the probe keeps its last answers about Apache. */
export const APACHE_CACHE_DIR = LOCK_DIR;

const indent = (text: string) => text.trimEnd().split("\n").map((l) => `  ${l}`).join("\n") + "\n";

/**
 * What the cache's fingerprint starts with: a cache written by a probe that printed other sections (the
 * former `-V`, `-t -D DUMP_MODULES` and `-t -D DUMP_INCLUDES` answers) never matches this one.
 */
export const APACHE_CACHE_FORMAT = "isa-apache-cache-2";

/**
 * Shell sections of Apache (`$httpd_state` and `$apache2_state`: the units' states, from the probe's
 * one systemctl). Its answers are cached under the lock folder while nothing they depend on changes.
 *
 * Apache is asked to parse its configuration once, not three times (a never-deployed host has no cache:
 * `deploy --check` there asked every time). In httpd 2.4 (apache/httpd 2.4.62, server/main.c `main`),
 * `-D NAME` only adds a define, so both dumps can be asked at once: `DUMP_INCLUDES` prints each file as
 * it is opened, while the configuration is read (server/config.c `ap_process_resource_config`,
 * `dump_config_name`), and `DUMP_MODULES` prints the module list in the test_config hook, after the whole
 * configuration was processed (modules/core/mod_so.c `dump_loaded_modules`); a configuration that fails
 * to read prints the files read so far, then its error. `-V` can't join them: with an MPM loaded as a
 * module (Debian's and the Red Hat family's builds) it reads the configuration, prints the compile
 * settings and exits before any test_config hook. What it gave is had otherwise: the version from `-v`,
 * which exits while reading the command line (no configuration read, no envvars needed, so the binary
 * itself is asked), the MPM from the loaded modules (`mpm_event_module`), the root from the main file
 * Apache read. Debian's apache2ctl passes such arguments on unchanged (`*) $HTTPD ${APACHE_ARGUMENTS}
 * "$@"`, apache2 2.4.71-1~deb12u1).
 */
export function apacheSections(): string {
  // Long on purpose: one shell text, kept whole so it reads as the host runs it (its cache and its sections).
  return `bin=""; for b in /usr/sbin/httpd /usr/sbin/apache2; do [ -x $b ] && bin=$b && break; done
isa_sec apache-binary; [ -n "$bin" ] && echo $bin
if [ -n "$bin" ]; then
  # RHEL's apachectl is a wrapper meant for one argument: given -t -D DUMP_MODULES, RHEL 9's prints
  # "Passing arguments to httpd using apachectl is no longer supported" and exits 1, RHEL 8's prints
  # the same warning before httpd's output (tests/fixtures/README.md). So httpd itself is asked there. Debian's apache2 refuses to read its
  # configuration without /etc/apache2/envvars, which apache2ctl sources before passing its arguments on.
  case "$bin" in *apache2) ctl=apache2ctl ;; *) ctl=$bin ;; esac
  isa_sec apache-ctl; echo $ctl
  # Asking Apache parses its whole configuration: once, for both dumps (apacheSections' JSDoc says why
  # one call gives both, and why -v, which reads none, replaces -V). The answers are kept in the
  # root-only folder of the host lock (in /run: gone at reboot) with a fingerprint of what they depend on:
  # size, times and inode of the binary, of every file Apache loaded, of their folders (a file added to an
  # Include glob changes its folder) and of the root's folders. While that fingerprint holds, the answers are reused; an edit anywhere asks Apache again.
  # Nothing is cached where that folder is missing or not root's 0700 (check mode on a new host).
${indent(APACHE_OPTIONS)}  c=${APACHE_CACHE_DIR}
  cacheable=""
  [ -d $c ] && [ ! -L $c ] && [ "$(stat -c '%u %a' $c 2>/dev/null)" = "0 700" ] && cacheable=1
  fingerprint() {
    { echo ${APACHE_CACHE_FORMAT}; printf '%s\\n' "$unit_env"; stat -c '%n %s %Y %Z %i' "$bin" 2>/dev/null
      [ -f $c/apache-paths ] && tr '\\n' '\\0' < $c/apache-paths | xargs -0 stat -c '%n %s %Y %Z %i' 2>&1
    } | cksum
  }
  # The root as the answers say it (the line after @@apache-root), by the shell's own patterns.
  answers_root() {
    case "$answers" in
      *"$nl@@apache-root$nl"*) root=\${answers#*"$nl@@apache-root$nl"}; root=\${root%%"$nl"*} ;;
      *) root="" ;;
    esac
  }
  first=""; [ -n "$cacheable" ] && [ -f $c/apache-probe ] && IFS= read -r first < $c/apache-probe
  if [ -n "$first" ] && [ "$first" = "$(fingerprint)" ]; then
    answers=$(sed 1d $c/apache-probe)
  else
    [ -n "$cacheable" ] && t0=$(date +%s)
    v=$($bin -v 2>&1)
    set -f # $opts_args is split, never globbed
    inc=$($ctl $opts_args -t -D DUMP_INCLUDES -D DUMP_MODULES 2>&1); rc=$?
    set +f
    # The root is the folder of the main file Apache really read ((*) in the include list), else the
    # layout's own (a configuration whose main file can't be opened lists none): APACHE_SEARCH finds it.
    case "$bin" in *apache2) up=${DEBIAN.mainDepth}; root=${DEBIAN.defaultRoot} ;; *) up=${RHEL.mainDepth}; root=${RHEL.defaultRoot} ;; esac
    answers=$(
      isa_sec apache-v; printf '%s\\n' "$v"
      isa_sec apache-t; printf '%s\\n' "$inc"
      isa_sec apache-t-exit; echo $rc
${indent(indent(indent(APACHE_SEARCH)))}    )
    answers_root
    # Only a valid configuration is kept, and only when nothing it depends on changed during this
    # second (an edit racing the calls would otherwise be cached under its new fingerprint).
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
  answers_root
  case "$bin" in *apache2) ours="$root/${DEBIAN.confDir}/${APACHE_CONF_FILE}" ;; *) ours="$root/${RHEL.confDir}/${APACHE_CONF_FILE}" ;; esac
  isa_file apache-ours "$ours"
  isa_sec apache-enabled
  [ -e "$root/conf-enabled/${APACHE_CONF_FILE}" ] && echo conf
  [ -e "$root/mods-enabled/status.load" ] && echo mod
  isa_sec apache-active
  [ "$httpd_state" = active ] && echo httpd
  [ "$apache2_state" = active ] && echo apache2
fi
`;
}

/** The version from `httpd -v` (or `-V`, whose first line is the same: server/main.c). */
export function parseApacheVersion(lines: string[]): string {
  return /Server version:\s*Apache\/(\S+)/.exec(lines.join("\n"))?.[1] ?? "";
}

/** The MPM (`event`, `worker`, `prefork`) from the loaded modules' names, as `-V`'s "Server MPM" says it. */
export function mpmOf(modules: Set<string>): string {
  for (const m of modules) {
    const mpm = /^mpm_(\w+)_module$/.exec(m)?.[1];
    if (mpm) return mpm;
  }
  return "";
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
 * Files Apache loads, from `-t -D DUMP_INCLUDES`: a header line, then `  (*) /main.conf` and one
 * `(line) /path` per included file, indented by depth (httpd 2.4.37 server/config.c, dump_config_name).
 */
export function parseIncludes(lines: string[]): string[] {
  return lines.flatMap((l) => {
    const m = /^\s*\((?:\*|\d+)\)\s+(\/.*?)\s*$/.exec(l);
    return m ? [m[1]] : [];
  });
}

/** A line of the two dumps themselves (headers, included files, modules): not a message of the config test. */
const DUMP_LINE =
  /^(Included configuration files:|Loaded Modules:|\s*\((?:\*|\d+)\)\s+\/|\s+\w+_module\s+\()/;

/** The Red Hat family's apachectl wrapper refusing arguments (tests/fixtures/el9-apachectl-refusal.txt). */
const WRAPPER_REFUSAL = /using apachectl is no longer supported|apachectl: The "\S+" option is not supported/;

/** Apache's facts from the probe's sections; null when no Apache binary was found. */
export function parseApache(
  s: Map<string, string[]>,
  get: (section: string) => string[],
): ApacheFacts | null {
  const binary = get("apache-binary")[0];
  if (!binary) return null;
  // One answer holds both dumps (-t -D DUMP_INCLUDES -D DUMP_MODULES 2>&1): each line is told by its shape.
  const dump = get("apache-t");
  const modules = parseModules(dump);
  const version = parseApacheVersion(get("apache-v"));
  const layout = apacheLayout(binary);
  const L = APACHE_LAYOUTS[layout];
  const includes = parseIncludes(dump);
  // As the probe does: the root is the folder of the main file Apache read (Debian: ROOT/apache2.conf,
  // RHEL: ROOT/conf/httpd.conf), else the layout's own.
  const main = includes[0];
  const up = (p: string) => p.replace(/\/[^/]*$/, "");
  let root = main ?? L.defaultRoot;
  if (main) { for (let i = 0; i < L.mainDepth; i++) root = up(root); }
  const confDir = `${root}/${L.confDir}`;
  const ext = get("apache-extendedstatus").map((l) => l.trim().toLowerCase());
  const statusModule = modules.has("status_module");
  const exit = get("apache-t-exit")[0];
  const refused = dump.some((l) => WRAPPER_REFUSAL.test(l));
  return {
    binary,
    ctl: get("apache-ctl")[0] ?? binary,
    options: get("apache-options")[0] ?? "",
    configFile: main ?? `${root}/${L.mainFile}`,
    includes,
    service: L.service,
    confDir,
    confFile: `${confDir}/${APACHE_CONF_FILE}`,
    layout,
    version,
    mpm: mpmOf(modules),
    statusModule,
    authzCore: modules.has("authz_core_module"),
    // Since 2.3.6 loading mod_status turns ExtendedStatus on unless a directive says Off.
    extendedStatus: ext.length ? /\son$/.test(ext.at(-1)!) : statusModule && !version.startsWith("2.2"),
    running: get("apache-active").length > 0,
    configOk: !refused && (exit === undefined ? modules.size > 0 : exit === "0"),
    configMessage: refused
      ? `the apachectl wrapper refused the arguments (the probe must call httpd itself):\n${dump.join("\n")}`
      : dump.filter((l) => !DUMP_LINE.test(l)).join("\n").trim(),
    statusLocations: get("apache-status-locations").filter(Boolean),
    ourFile: fileSection(s.get("apache-ours")),
    confEnabled: get("apache-enabled").includes("conf"),
    statusLoadEnabled: get("apache-enabled").includes("mod"),
  };
}
