/** Issue 24, item 6: a vhost that captures /server-status stops the exporter step, naming the vhost. */
import assert from "node:assert/strict";
import {
  afterScrapeCheck,
  defaultVhost,
  parseScrapeCheck,
  scrapeError,
} from "../../lib/steps/scrape_check.ts";
import { SCRAPE_END, scrapeCheck, vhostCaptures } from "../../lib/commands/apache.ts";
import { applyChange, type Change } from "../../lib/engine/change.ts";
import type { Ssh } from "../../lib/transport/ssh.ts";

const URL = "http://172.18.0.1/server-status?auto";

/** `httpd -S` on a host with a catch-all redirecting vhost first on *:80 (httpd 2.4's layout). */
const DUMP_VHOSTS = [
  "VirtualHost configuration:",
  "*:443                  www.example.org (/etc/httpd/conf.d/ssl.conf:40)",
  "*:80                   is a NameVirtualHost",
  "         default server redirect.example.org (/etc/httpd/conf.d/00-redirect.conf:1)",
  "         port 80 namevhost redirect.example.org (/etc/httpd/conf.d/00-redirect.conf:1)",
  "         port 80 namevhost www.example.org (/etc/httpd/conf.d/www.conf:1)",
  'ServerRoot: "/etc/httpd"',
];

Deno.test("the scrape check's command: curl as the exporter asks (its Host, from 127.0.0.1), no redirect followed, then -S with OPTIONS", () => {
  assert.equal(
    scrapeCheck(URL, { ctl: "/usr/sbin/httpd", options: "-DISA" }).script,
    `curl -s -m 10 -H 'Host: 172.18.0.1' -w '\\n${SCRAPE_END}\\n%{http_code} %{redirect_url}\\n' ` +
      `'http://127.0.0.1/server-status?auto' || printf '\\n%s\\n000\\n' ${SCRAPE_END}\n` +
      "/usr/sbin/httpd -DISA -S 2>&1 || true",
  );
});

Deno.test("mod_status' ?auto page passes; a redirect names the default vhost of *:80 and what captures", () => {
  const page = "localhost\nServerVersion: Apache/2.4.63\nTotal Accesses: 3\nScoreboard: _W__\n";
  assert.equal(parseScrapeCheck(`${page}\n${SCRAPE_END}\n200 \n${DUMP_VHOSTS.join("\n")}`, URL).ok, true);
  const redirected = parseScrapeCheck(
    `<html>Moved</html>\n${SCRAPE_END}\n301 https://172.18.0.1/server-status?auto\n${DUMP_VHOSTS.join("\n")}`,
    URL,
  );
  assert.equal(redirected.ok, false);
  assert.deepEqual(redirected.vhost, {
    name: "redirect.example.org",
    file: "/etc/httpd/conf.d/00-redirect.conf",
    line: 1,
  });
  assert.equal(
    scrapeError(URL, redirected, [
      "/etc/httpd/conf.d/00-redirect.conf:3: Redirect permanent / https://www.example.org/",
    ]),
    `the exporter's scrape URL ${URL} gets HTTP 301 (redirect to https://172.18.0.1/server-status?auto), not ` +
      "mod_status' ?auto page; the vhost answering it is redirect.example.org at " +
      "/etc/httpd/conf.d/00-redirect.conf:1, which captures it: /etc/httpd/conf.d/00-redirect.conf:3: Redirect " +
      "permanent / https://www.example.org/. Exclude /server-status there (RewriteCond %{REQUEST_URI} " +
      "!^/server-status, ProxyPass /server-status !, or no catch-all Redirect), then run again; the exporter " +
      "was not (re)created and Apache was not changed",
  );
  // A 200 that is not the page (a RewriteRule to an application) is a capture too.
  assert.equal(parseScrapeCheck(`<html>app</html>\n${SCRAPE_END}\n200 \n`, URL).ok, false);
});

Deno.test("the vhost list: a single vhost on the address, the exact address before the wildcard", () => {
  const single = [
    "VirtualHost configuration:",
    "*:80                   000-default (/etc/apache2/sites-enabled/000-default.conf:1)",
  ];
  assert.deepEqual(defaultVhost(single, "172.18.0.1", "80"), {
    name: "000-default",
    file: "/etc/apache2/sites-enabled/000-default.conf",
    line: 1,
  });
  const both = [...single, "172.18.0.1:80           mine (/etc/apache2/sites-enabled/mine.conf:7)"];
  assert.equal(defaultVhost(both, "172.18.0.1", "80")?.name, "mine");
  assert.equal(defaultVhost(["*:443  tls (/etc/x.conf:1)"], "172.18.0.1", "80"), null);
});

Deno.test("the capture finder lists the vhost's Redirect and RewriteRule lines, up to its end only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/00 catch.conf`;
    await Deno.writeTextFile(
      file,
      "# before\n<VirtualHost *:80>\n  ServerName a\n  RewriteEngine On\n  RewriteRule ^ /app [PT]\n" +
        "  Redirect / https://a/\n</VirtualHost>\n<VirtualHost *:80>\n  ProxyPass / http://b/\n</VirtualHost>\n",
    );
    const out = await new Deno.Command("/bin/sh", { args: ["-c", vhostCaptures(file, 2).script] }).output();
    assert.equal(
      new TextDecoder().decode(out.stdout),
      `${file}:5: RewriteRule ^ /app [PT]\n${file}:6: Redirect / https://a/\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the exporter's change runs only after the check: a capture throws before it, no answer lets it run", async () => {
  let applied = 0;
  const change: Change = {
    summary: "create and start container apache_exporter",
    apply: () => Promise.resolve(void applied++),
  };
  const answers = (first: string, second = "") => {
    let n = 0;
    return {
      run: () => Promise.resolve({ code: 0, stdout: n++ === 0 ? first : second, stderr: "" }),
    } as unknown as Ssh;
  };
  const apache = { ctl: "/usr/sbin/httpd", options: "" };
  const captured = answers(
    `<html/>\n${SCRAPE_END}\n302 https://x/\n${DUMP_VHOSTS.join("\n")}`,
    "/etc/httpd/conf.d/00-redirect.conf:3: Redirect / https://x/\n",
  );
  await assert.rejects(
    applyChange(captured, afterScrapeCheck(change, captured, URL, apache)),
    /00-redirect\.conf:1, which captures it: \/etc\/httpd\/conf\.d\/00-redirect\.conf:3: Redirect/,
  );
  assert.equal(applied, 0, "the exporter was not created");
  const page = answers(`Scoreboard: ____\n${SCRAPE_END}\n200 \n`);
  await applyChange(page, afterScrapeCheck(change, page, URL, apache));
  assert.equal(applied, 1);
  const down = answers(`\n${SCRAPE_END}\n000 \n`);
  await applyChange(down, afterScrapeCheck(change, down, URL, apache));
  assert.equal(applied, 2, "Apache stopped: the exporter reports it down, which is its job");
});
