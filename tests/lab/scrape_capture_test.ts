/**
 * Issue 24, item 6, on real Apache (the Debian host): a default vhost that captures /server-status (a
 * catch-all Redirect, then a RewriteRule) fails the exporter step naming the vhost's file and line, the
 * exporter not created and Apache untouched; with the vhost gone the same deploy passes.
 */
import assert from "node:assert/strict";
import { apacheGeneration, cli, lab, onHost } from "../helpers/lab.ts";

const HOST = "isaqal09";
/** First in sites-enabled, so the default vhost of *:80 (the one a request by IP address gets). */
// Before Debian's 000-default.conf in the include order ("000-0" sorts before "000-d").
const VHOST = "/etc/apache2/sites-enabled/000-0-isa-capture-test.conf";

const VHOSTS = {
  redirect:
    "<VirtualHost *:80>\n  ServerName capture.example.org\n  Redirect permanent / https://capture.example.org/\n" +
    "</VirtualHost>\n",
  rewrite: "<VirtualHost *:80>\n  ServerName capture.example.org\n  RewriteEngine On\n" +
    // The usual HTTP→HTTPS rewrite. (An internal rewrite to a file path, `RewriteRule ^ /index.html`,
    // does not capture: r->uri stays /server-status and our <Location> still gives the handler.)
    "  RewriteRule ^ https://capture.example.org%{REQUEST_URI} [R=301,L]\n</VirtualHost>\n",
};

Deno.test("a vhost that captures /server-status fails the exporter step, named; removing it lets the deploy pass", async (t) => {
  const info = await lab();
  const inv = info.inventory;
  const deploy = async () => await cli("deploy.ts", ["--inventory", inv, "--limit", HOST]);
  const first = await deploy();
  assert.equal(first.code, 0, first.stdout + first.stderr);
  try {
    for (const [kind, text] of Object.entries(VHOSTS)) {
      await t.step(
        `${kind}: the exporter is not recreated, Apache's files and process untouched`,
        async () => {
          const put = await onHost(
            info,
            HOST,
            `a2enmod -q rewrite >/dev/null && printf '%s' '${text}' > ${VHOST} && apache2ctl -t && systemctl reload apache2 && ` +
              `docker rm -f apache_exporter >/dev/null`,
          );
          assert.equal(put.code, 0, put.out);
          const before = await apacheGeneration(info, HOST);
          const sums = `md5sum /etc/apache2/conf-available/EPFL_isa.conf ${VHOST}`;
          const filesBefore = (await onHost(info, HOST, sums)).out;
          const r = await deploy();
          assert.equal(r.code, 2, r.stdout + r.stderr);
          const out = r.stdout + r.stderr;
          assert.match(
            out,
            new RegExp(`the vhost answering it is capture\\.example\\.org at ${VHOST}:1, which captures it`),
          );
          assert.match(
            out,
            kind === "redirect"
              ? new RegExp(`${VHOST}:3: Redirect permanent /`)
              : new RegExp(`${VHOST}:4: RewriteRule`),
          );
          assert.match(out, /the exporter was not \(re\)created and Apache was not changed/);
          assert.equal(
            (await onHost(info, HOST, "docker ps -aq -f name=^apache_exporter$")).out,
            "",
            "no exporter",
          );
          assert.deepEqual(await apacheGeneration(info, HOST), before, "no reload, no restart");
          assert.equal((await onHost(info, HOST, sums)).out, filesBefore);
        },
      );
    }
  } finally {
    await onHost(info, HOST, `rm -f ${VHOST}; a2dismod -q rewrite >/dev/null 2>&1; systemctl reload apache2`);
  }
  await t.step("the vhost removed: the deploy passes and the exporter scrapes mod_status", async () => {
    const r = await deploy();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const up = await onHost(
      info,
      HOST,
      "ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' apache_exporter) && " +
        "curl -s -m 5 http://$ip:9117/metrics | grep '^apache_up '",
    );
    assert.equal(up.out, "apache_up 1");
  });
});
