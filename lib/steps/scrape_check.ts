/**
 * Before the exporter is (re)created: does the scrape URL answer mod_status' `?auto` page? A default
 * vhost with a catch-all Redirect, RewriteRule, ProxyPass or JkMount answers `/server-status` before our
 * server-level `<Location>` does; then the exporter would report Apache up while scraping nothing. The
 * deploy stops there, naming the vhost's file and line and the directive, with Apache untouched.
 *
 * Checked rather than avoided by construction (a status listener of our own on the gateway address):
 * a `Listen` on a Docker bridge address makes Apache fail to start whenever that bridge is not up yet
 * (a reboot before Docker, Docker stopped), which would take the web server down with our monitoring.
 */
import type { Change } from "../engine/change.ts";
import { applyChange, changeText } from "../engine/change.ts";
import type { ApacheFiles } from "../commands/apache.ts";
import { SCRAPE_END, scrapeCheck, vhostCaptures } from "../commands/apache.ts";
import type { Ssh } from "../transport/ssh.ts";
import { exec } from "../transport/exec.ts";

/** What the scrape check read: the page's answer and, when captured, the vhost that answered. */
export interface ScrapeAnswer {
  ok: boolean;
  code: string;
  redirect: string;
  /** `file:line` of the vhost that answers the scrape URL's address and port (`-S`), if found. */
  vhost: { name: string; file: string; line: number } | null;
}

/** The default vhost for `host`:`port` in `httpd -S` output (the exact address first, then wildcards). */
export function defaultVhost(
  dumpVhosts: string[],
  host: string,
  port: string,
): { name: string; file: string; line: number } | null {
  const found = new Map<string, { name: string; file: string; line: number }>();
  let addr = "";
  for (const l of dumpVhosts) {
    // `*:80   www.example.org (/etc/httpd/conf.d/site.conf:1)`: an address with a single vhost.
    const single = /^(\S+:\d+)\s+(?!is a NameVirtualHost)(\S+) \((\/.*):(\d+)\)\s*$/.exec(l);
    if (single) {
      if (!found.has(single[1])) {
        found.set(single[1], { name: single[2], file: single[3], line: Number(single[4]) });
      }
      addr = "";
      continue;
    }
    const head = /^(\S+:\d+)\s+is a NameVirtualHost/.exec(l);
    if (head) {
      addr = head[1];
      continue;
    }
    const def = /^\s+default server (\S+) \((\/.*):(\d+)\)\s*$/.exec(l);
    if (def && addr && !found.has(addr)) {
      found.set(addr, { name: def[1], file: def[2], line: Number(def[3]) });
    }
    if (/^\S/.test(l)) addr = "";
  }
  for (const a of [`${host}:${port}`, `*:${port}`, `_default_:${port}`, `0.0.0.0:${port}`, `[::]:${port}`]) {
    if (found.has(a)) return found.get(a)!;
  }
  return null;
}

/** Reads scrapeCheck's output: the page is mod_status' `?auto` one when it has its Scoreboard line. */
export function parseScrapeCheck(out: string, url: string): ScrapeAnswer {
  const lines = out.split("\n");
  const end = lines.indexOf(SCRAPE_END);
  const body = end < 0 ? lines : lines.slice(0, end);
  const [code = "000", redirect = ""] = (end < 0 ? "" : lines[end + 1] ?? "").split(" ");
  const u = new URL(url);
  return {
    ok: code === "200" && body.some((l) => /^Scoreboard: \S/.test(l)),
    code,
    redirect,
    vhost: end < 0 ? null : defaultVhost(lines.slice(end + 2), u.hostname, u.port || "80"),
  };
}

/** The error of a scrape URL that does not answer mod_status' page, naming what answers instead. */
export function scrapeError(url: string, a: ScrapeAnswer, captures: string[]): string {
  const answer = a.code === "000"
    ? "no answer"
    : `HTTP ${a.code}${a.redirect ? ` (redirect to ${a.redirect})` : ""}, not mod_status' ?auto page`;
  const where = a.vhost
    ? `; the vhost answering it is ${a.vhost.name} at ${a.vhost.file}:${a.vhost.line}` +
      (captures.length ? `, which captures it: ${captures.join("; ")}` : "")
    : "";
  return `the exporter's scrape URL ${url} gets ${answer}${where}. Exclude /server-status there ` +
    `(RewriteCond %{REQUEST_URI} !^/server-status, ProxyPass /server-status !, or no catch-all Redirect), ` +
    `then run again; the exporter was not (re)created and Apache was not changed`;
}

/** `change` (the exporter's create or recreate), applied only once the scrape URL answers as it should. */
export function afterScrapeCheck(
  change: Change,
  ssh: Ssh,
  url: string,
  apache: Pick<ApacheFiles, "ctl" | "options"> | null,
): Change {
  if (!apache) return change;
  return {
    ...changeText(change),
    apply: async () => {
      const a = parseScrapeCheck((await exec(ssh, scrapeCheck(url, apache))).stdout, url);
      // No answer at all is Apache stopped (or not on port 80): the exporter then reports apache_up 0,
      // which is what monitoring is for; only an answer that is not the page is a capture.
      if (!a.ok && a.code !== "000") {
        const captures = a.vhost
          ? (await exec(ssh, vhostCaptures(a.vhost.file, a.vhost.line))).stdout.split("\n").filter(Boolean)
          : [];
        throw new Error(scrapeError(url, a, captures));
      }
      await applyChange(ssh, change);
    },
  };
}
