import assert from "node:assert/strict";
import { demuxLogs, parseReadiness } from "../../lib/containers/readiness.ts";
import { readinessCheck, type ReadinessProbe } from "../../lib/commands/readiness.ts";
import { keptCopies } from "../../lib/containers/previous_files.ts";
import { copyPaths, dropCopies, keepCopies, restoreCopies } from "../../lib/commands/previous_files.ts";

const exporter: ReadinessProbe = {
  port: 9117,
  scheme: "http",
  path: "/metrics",
  status: 200,
  bodyLine: "apache_up ",
  what: "x",
};
const prom: ReadinessProbe = {
  port: 9090,
  scheme: "https",
  path: "/-/ready",
  status: 200,
  auth: { user: "isa-self-scrape", passwordFile: "/srv/isa/prometheus/secrets/self_scrape_password" },
  what: "y",
};

Deno.test("readiness: the exporter is ready only with a 200 that carries apache_up", () => {
  assert.deepEqual(parseReadiness("apache_up 1\n@@code 200\n", exporter).ready, true);
  assert.deepEqual(
    parseReadiness("apache_up 0\n@@code 200\n", exporter).ready,
    true,
    "0: Apache down, exporter up",
  );
  assert.equal(parseReadiness("@@code 200\n", exporter).ready, false);
  assert.match(parseReadiness("@@code 200\n", exporter).detail, /apache_up/);
  assert.equal(parseReadiness("@@code 000\n", exporter).detail, "no answer yet");
  assert.equal(parseReadiness("", exporter).ready, false);
  assert.equal(parseReadiness("apache_up 1\n@@code 503\n", exporter).detail, "HTTP 503");
});

Deno.test("readiness: Prometheus' 503 while starting is not ready; a missing password file is said", () => {
  assert.equal(parseReadiness("@@code 503\n", prom).ready, false);
  assert.equal(parseReadiness("@@code 401\n", prom).detail, "HTTP 401");
  assert.equal(parseReadiness("@@code 200\n", prom).ready, true);
  assert.match(parseReadiness("@@code nofile\n", prom).detail, /self_scrape_password is missing/);
});

Deno.test("readiness script: the URL is the container's address; the password is in no argv", () => {
  const c = readinessCheck("172.18.0.3", prom, "prometheus");
  assert.deepEqual(c, {
    script:
      `p=$(cat /srv/isa/prometheus/secrets/self_scrape_password 2>/dev/null) || { echo '@@code nofile'; exit 0; }\n` +
      `case "$p" in *[!0-9a-fA-F]*|'') echo '@@code badfile'; exit 0;; esac\n` +
      `printf 'user = "%s:%s"\\n' isa-self-scrape "$p" | curl -s -k -m 3 -w '\\n@@code %{http_code}\\n' -K - ` +
      `https://172.18.0.3:9090/-/ready | grep '^@@code '\n`,
    log: `readiness of prometheus: ${prom.what}`,
    check: false,
    timeoutMs: 10_000,
  });
  const s = c.script;
  assert.match(s, / https:\/\/172\.18\.0\.3:9090\/-\/ready /);
  // Only printf (a builtin) sees the password, from a variable; curl reads it on stdin (-K -).
  assert.match(s, /printf 'user = "%s:%s"\\n' isa-self-scrape "\$p" \| curl .* -K - /);
  assert.ok(!/curl[^|]* -u /.test(s));
  assert.match(
    readinessCheck("172.18.0.4", exporter, "exporter").script,
    /grep -E '\^\(@@code \|apache_up \)'/,
  );
  assert.throws(() => readinessCheck("1.2.3.4; rm -rf /", exporter, "exporter"), /not an IP/);
});

Deno.test("demuxLogs: Docker's 8-byte frames become text; a TTY's plain text passes", () => {
  const frame = (stream: number, text: string) => {
    const body = new TextEncoder().encode(text);
    const head = new Uint8Array([stream, 0, 0, 0, 0, 0, 0, body.length]);
    return new Uint8Array([...head, ...body]);
  };
  const both = new Uint8Array([...frame(1, "out line\n"), ...frame(2, "err: unknown long flag\n")]);
  assert.equal(demuxLogs(both), "out line\nerr: unknown long flag\n");
  assert.equal(demuxLogs(new TextEncoder().encode("plain\n")), "plain\n");
});

Deno.test("kept copies: made once, put back, forgotten; markers for files that did not exist", () => {
  const f = "/srv/isa/prometheus/prometheus.yml";
  assert.deepEqual(copyPaths(f), { copy: `${f}.isa-prev`, absent: `${f}.isa-prev-absent` });
  // Only when no copy is kept yet: after a run that died, the copy is what the old container read.
  assert.deepEqual(keepCopies([f, "/a b"]), {
    script: "set -e\n" +
      `if [ ! -e ${f}.isa-prev ] && [ ! -e ${f}.isa-prev-absent ]; then ` +
      `if [ -e ${f} ]; then cp -p ${f} ${f}.isa-prev; else : > ${f}.isa-prev-absent; fi; echo 'made 0'; fi\n` +
      "if [ ! -e '/a b.isa-prev' ] && [ ! -e '/a b.isa-prev-absent' ]; then " +
      "if [ -e '/a b' ]; then cp -p '/a b' '/a b.isa-prev'; else : > '/a b.isa-prev-absent'; fi; echo 'made 1'; fi\n",
    log: `keep a copy of ${f} /a b`,
  });
  assert.deepEqual(restoreCopies([f]), {
    script: `if [ -e ${f}.isa-prev ]; then mv -f ${f}.isa-prev ${f}; ` +
      `elif [ -e ${f}.isa-prev-absent ]; then rm -f ${f} ${f}.isa-prev-absent; fi\n`,
    log: `put back ${f}`,
  });
  assert.deepEqual(dropCopies([f]), {
    script: `rm -f ${f}.isa-prev ${f}.isa-prev-absent\n`,
    log: `rm the copies of ${f}`,
  });
  assert.deepEqual(keptCopies([f, "/a"], { [`${f}.isa-prev-absent`]: "" }), [f]);
  assert.deepEqual(keptCopies([f], { [`${f}.isa-prev`]: null }), []);
});
