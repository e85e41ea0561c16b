/** Apache's commands: our file changed, validated with `<ctl> -t`, then a graceful reload. */
import type { Command } from "./command.ts";
import { quote } from "../base/quote.ts";
import { validatedEditScript } from "./validated.ts";
import { writeFileScript } from "./files.ts";
import { APACHE_CONF_NAME } from "../base/names.ts";

/** What the commands need of the host's Apache (the facts' ApacheFacts has these). */
export interface ApacheFiles {
  /** Its systemd unit (apache2, httpd). */
  service: string;
  /** Its control program, run as `<ctl> -t`. */
  ctl: string;
  /** The arguments systemd gives it (httpd's OPTIONS, Debian's APACHE_ARGUMENTS); "" for none. */
  options?: string;
  /** Our file. */
  confFile: string;
}

/** What an Apache configuration change does on the host, as shell: deploy and uninstall each give theirs. */
export interface ApacheEdit {
  /** Changes our file (write or remove it, enable or disable it); a failure restores it. */
  change: string;
  /** Undoes what `change` did besides our file (a2enconf/a2enmod), when validation fails. */
  undo?: string;
}

/**
 * The configuration test as systemd would start Apache: httpd gets OPTIONS split on blanks (as
 * systemd splits `$OPTIONS` in httpd.service's ExecStart); apache2ctl gets
 * APACHE_ARGUMENTS in its environment, which it passes on to apache2. Without them, `<IfDefine>` blocks
 * could differ from what runs.
 */
export function configTest(apache: Pick<ApacheFiles, "ctl" | "options">): string {
  return apacheRun(apache, "-t");
}

/** `<ctl> ARGS` with the arguments systemd gives Apache (see configTest). */
function apacheRun(apache: Pick<ApacheFiles, "ctl" | "options">, args: string): string {
  const ctl = quote(apache.ctl);
  if (!apache.options) return `${ctl} ${args}`;
  if (apache.ctl.endsWith("apache2ctl")) return `APACHE_ARGUMENTS=${quote(apache.options)} ${ctl} ${args}`;
  // Split here, each word quoted: the remote shell neither splits nor globs them again.
  return `${ctl} ${apache.options.split(/[ \t]+/).filter(Boolean).map(quote).join(" ")} ${args}`;
}

/**
 * The directives of the vhost that starts at `file`:`line` that can capture a URL before a server-level
 * `<Location>` (Redirect*, Rewrite*, ProxyPass*, JkMount), as `file:line: text`, up to its end.
 */
export function vhostCaptures(file: string, line: number): Command {
  return {
    script: `awk -v start=${line} 'NR < start { next } NR > start && /^[[:space:]]*<\\/VirtualHost>/ { exit }
  /^[[:space:]]*(Redirect|RedirectMatch|RedirectPermanent|RewriteRule|ProxyPass|ProxyPassMatch|JkMount)[[:space:]]/ { sub(/^[[:space:]]+/, ""); print FILENAME ":" NR ": " $0 }' ${
      quote(file)
    } 2>/dev/null || true`,
    log: `what in ${file}:${line} captures /server-status`,
    check: false,
  };
}

/** Marks the end of the page in scrapeCheck's output; the lines after it are curl's and Apache's. */
export const SCRAPE_END = "@@isa-scrape-end";

/**
 * Asks the scrape URL from the host, as the exporter will, without following redirects: the same port
 * and Host header, so the same name-based vhost answers, but sent to 127.0.0.1. From the host, a request
 * to the gateway address leaves through `lo` and Docker's MASQUERADE rule (`! -o <bridge>`) rewrites its
 * source to the host's main address, which our block does not allow (a 403 the exporter never gets);
 * from 127.0.0.1 it passes `Require local`, as the exporter's passes `Require ip <our subnet>`. (A vhost
 * bound to the gateway's own IP would answer differently: none is, the address is Docker's.)
 * Prints the page, then SCRAPE_END, `code REDIRECT`, and Apache's vhost list (`-S`, with systemd's
 * arguments), which names the file and line of the vhost that answers when the page is captured.
 */
export function scrapeCheck(url: string, apache: Pick<ApacheFiles, "ctl" | "options">): Command {
  const u = new URL(url);
  const local = `http://127.0.0.1${u.port ? `:${u.port}` : ""}${u.pathname}${u.search}`;
  return {
    script: `curl -s -m 10 -H ${
      quote(`Host: ${u.host}`)
    } -w '\\n${SCRAPE_END}\\n%{http_code} %{redirect_url}\\n' ${
      quote(local)
    } || printf '\\n%s\\n000\\n' ${SCRAPE_END}
${apacheRun(apache, "-S")} 2>&1 || true`,
    log: `curl ${url} (what the exporter will get); ${apache.ctl} -S`,
    check: false,
  };
}

/**
 * The one command that changes Apache's configuration (`what` it does, for `-v`): keep a backup of
 * our file, run the edit, validate with `<ctl> -t`, then reload gracefully (`systemctl reload`: httpd's
 * unit runs `httpd -k graceful`, apache2's `apachectl graceful`). When validation fails: restore the
 * file, undo the rest, leave Apache as it was, and print the validator's message on stderr (exit 3).
 * The test gets the arguments systemd gives Apache (configTest).
 * RHEL's `apachectl -t` would do as well (one argument passes its wrapper), but `httpd -t` is the same
 * command the probe trusts.
 */
export function changeApache(apache: ApacheFiles, edit: ApacheEdit, what: string): Command {
  const svc = quote(apache.service);
  const script = validatedEditScript({
    file: apache.confFile,
    ...edit,
    validate: configTest(apache),
    then: `if systemctl is-active --quiet ${svc}; then
  systemctl reload ${svc} || { echo "graceful reload of ${apache.service} failed" >&2; exit 4; }
  echo reloaded
else
  echo not-running
fi
`,
  });
  return { script, log: `${what}; validate; reload` };
}

/** The edit that writes our file (and on Debian enables it and mod_status), undone on a failed validation. */
export function writeEdit(
  apache: Pick<ApacheFiles, "confFile">,
  desired: string,
  enable: { conf: boolean; mod: boolean },
): ApacheEdit {
  const change = [writeFileScript(apache.confFile, desired, { mode: 0o644 }).trim()];
  const undo: string[] = [];
  if (enable.conf) {
    change.push(
      `a2enconf -q ${APACHE_CONF_NAME} >/dev/null || { echo "a2enconf ${APACHE_CONF_NAME} failed" >&2; exit 1; }`,
    );
    undo.push(`a2disconf -q ${APACHE_CONF_NAME} >/dev/null 2>&1`);
  }
  if (enable.mod) {
    change.push(`a2enmod -q status >/dev/null || { echo "a2enmod status failed" >&2; exit 1; }`);
    undo.push("a2dismod -q status >/dev/null 2>&1");
  }
  return { change: change.join("\n"), undo: undo.join("; ") };
}

/**
 * The edit that takes our block out: `rest` (the file without it) written back, or, when nothing else
 * is left, our file removed (and on Debian disabled, enabled again on a failed validation).
 */
export function removeEdit(confFile: string, rest: string | null, debian: boolean): ApacheEdit {
  if (rest !== null) return { change: writeFileScript(confFile, rest, { mode: 0o644 }) };
  return {
    change: `rm -f ${quote(confFile)}${
      debian ? `\na2disconf -q ${APACHE_CONF_NAME} >/dev/null 2>&1 || true` : ""
    }`,
    undo: debian ? `a2enconf -q ${APACHE_CONF_NAME} >/dev/null 2>&1` : undefined,
  };
}
