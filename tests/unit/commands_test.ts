import * as assert from "node:assert/strict";
import { DAEMON_RELOAD, enableUnit, restartUnit } from "../../lib/commands/systemd.ts";
import {
  claimInstallDir,
  ensureDir,
  installDirState,
  moveFile,
  ownPrivateFile,
  removeFile,
  removeInstallDir,
} from "../../lib/commands/files.ts";
import { asRoot } from "../../lib/transport/ssh.ts";
import { quote } from "../../lib/base/quote.ts";
import { type ApacheFiles, changeApache, removeEdit, writeEdit } from "../../lib/commands/apache.ts";
import { writeFileScript } from "../../lib/commands/files.ts";
import { whoListens } from "../../lib/commands/probe.ts";
import { verifyEvidence } from "../../lib/commands/verify.ts";
import { statusDisk } from "../../lib/commands/status.ts";
import {
  APPLY_FIREWALL,
  checkRuleset,
  FIREWALL_LEFTOVERS,
  LEGACY_FIREWALL_PROBE,
  REMOVE_FIREWALL,
  REMOVE_LEGACY_FIREWALL,
} from "../../lib/commands/firewall.ts";
import { candidateOf, commitCandidate, dropCandidate } from "../../lib/commands/validated.ts";

Deno.test("commands: systemd, whole", () => {
  assert.deepEqual(DAEMON_RELOAD, { script: "systemctl daemon-reload", log: "systemctl daemon-reload" });
  assert.deepEqual(enableUnit("isa.service"), {
    script: "systemctl enable isa.service",
    log: "systemctl enable isa.service",
  });
  assert.deepEqual(restartUnit("isa.service"), {
    script: "systemctl restart isa.service",
    log: "systemctl restart isa.service",
  });
});

Deno.test("commands: files, whole, quoted for the remote shell and shown unquoted", () => {
  assert.deepEqual(removeFile("/srv/isa/a b"), { script: "rm -f '/srv/isa/a b'", log: "rm -f /srv/isa/a b" });
  assert.deepEqual(moveFile("/srv/isa/.p.candidate", "/srv/isa/p"), {
    script: "mv -f /srv/isa/.p.candidate /srv/isa/p",
    log: "mv /srv/isa/.p.candidate /srv/isa/p",
  });
  assert.deepEqual(removeInstallDir("/srv/isa"), {
    script: "[ -f /srv/isa/.isa-monitoring ] || { echo 'refusing to remove /srv/isa: it does not hold " +
      "isa-monitoring'\\''s marker file .isa-monitoring (a folder the deploy did not create or claim)' >&2; " +
      "exit 1; }\nrm -rf -- /srv/isa",
    log: "rm -rf /srv/isa",
  });
  assert.deepEqual(claimInstallDir("/srv/isa"), {
    script: "set -eu\nmkdir -p /srv/isa\nif [ ! -f /srv/isa/.isa-monitoring ]; then\n" +
      "  other=$(ls -A /srv/isa | grep -vx -e prometheus -e traefik | head -n 3 | tr '\\n' ' ')\n" +
      '  if [ -n "$other" ]; then echo \'refusing /srv/isa as install_dir: it holds files that are not ' +
      "isa-monitoring'\\''s ('\"$other\"'): pick another install_dir' >&2; exit 1; fi\n" +
      "  printf '%s\\n' 'isa-monitoring'\\''s install folder: `deno task uninstall --purge` removes this folder " +
      "(and the SELinux relabel touches it) only while this file is here.' > /srv/isa/.isa-monitoring\n" +
      "  chmod 644 /srv/isa/.isa-monitoring\nfi",
    log: "mark /srv/isa as isa-monitoring's (.isa-monitoring)",
  });
  assert.deepEqual(ensureDir("/srv/isa/data", "997:995", "750", "0:0"), {
    script:
      "set -e; mkdir -p /srv/isa/data; chown -R --from=0:0 997:995 /srv/isa/data; chown 997:995 /srv/isa/data; " +
      "chmod 750 /srv/isa/data",
    log: "mkdir/chown/chmod /srv/isa/data",
  });
  assert.equal(ensureDir("/d", "0:0", "700").script, "set -e; mkdir -p /d; chown 0:0 /d; chmod 700 /d");
  assert.deepEqual(installDirState("/srv/isa"), {
    script: "[ -d /srv/isa ] || exit 0; printf '%s %s\\n' \"$(du -sh /srv/isa | cut -f1)\" " +
      '"$([ -f /srv/isa/.isa-monitoring ] && echo marked || echo unmarked)"',
    log: "du -sh /srv/isa; is it marked",
  });
  assert.deepEqual(ownPrivateFile("/srv/isa/traefik/ssl/key.pem", "isa-monitoring:isa-monitoring"), {
    script:
      "chown isa-monitoring:isa-monitoring /srv/isa/traefik/ssl/key.pem && chmod 600 /srv/isa/traefik/ssl/key.pem",
  });
});

Deno.test("transport: becoming root is one command, for scripts on stdin and for the lock's holder", () => {
  assert.equal(
    asRoot("-s"),
    `if [ "$(id -u)" -eq 0 ]; then exec /bin/sh -s; else exec sudo -n /bin/sh -s; fi`,
  );
  const holder = "echo 'it''s'; cat";
  assert.equal(
    asRoot(`-c ${quote(holder)}`),
    `if [ "$(id -u)" -eq 0 ]; then exec /bin/sh -c 'echo '\\''it'\\'''\\''s'\\''; cat'; ` +
      `else exec sudo -n /bin/sh -c 'echo '\\''it'\\'''\\''s'\\''; cat'; fi`,
  );
});

const DEBIAN: ApacheFiles = {
  ctl: "apache2ctl",
  service: "apache2",
  confFile: "/etc/apache2/conf-available/EPFL_isa.conf",
};

Deno.test("apache: the validate-then-reload script, whole (Debian, enabling our file and mod_status)", () => {
  const edit = writeEdit(DEBIAN, "X\n", { conf: true, mod: true });
  assert.equal(edit.undo, "a2disconf -q EPFL_isa >/dev/null 2>&1; a2dismod -q status >/dev/null 2>&1");
  const cmd = changeApache(DEBIAN, { change: "CHANGE", undo: "UNDO" }, "update our file");
  assert.equal(cmd.log, "update our file; validate; reload");
  assert.equal(
    cmd.script,
    `set -u
f=/etc/apache2/conf-available/EPFL_isa.conf; bak="$f.isa-bak"; had=0
if [ -f "$f" ]; then cp -p "$f" "$bak"; had=1; fi
restore() {
  if [ $had = 1 ]; then mv -f "$bak" "$f"; else rm -f "$f"; fi
  UNDO
  return 0
}
(
CHANGE
) || { restore; echo "could not change $f" >&2; exit 1; }
if ! out=$(apache2ctl -t 2>&1); then restore; echo "$out" >&2; exit 3; fi
rm -f "$bak"
if systemctl is-active --quiet apache2; then
  systemctl reload apache2 || { echo "graceful reload of apache2 failed" >&2; exit 4; }
  echo reloaded
else
  echo not-running
fi
`,
  );
  assert.ok(edit.change.endsWith(
    `a2enconf -q EPFL_isa >/dev/null || { echo "a2enconf EPFL_isa failed" >&2; exit 1; }\n` +
      `a2enmod -q status >/dev/null || { echo "a2enmod status failed" >&2; exit 1; }`,
  ));
});

Deno.test("validated replacement: the candidate's place, its commit and its drop, whole", () => {
  assert.equal(candidateOf("/srv/isa/prometheus/web.yml"), "/srv/isa/prometheus/.web.yml.candidate");
  assert.deepEqual(commitCandidate("/srv/isa/prometheus/web.yml"), {
    script: "mv -f /srv/isa/prometheus/.web.yml.candidate /srv/isa/prometheus/web.yml",
    log: "mv /srv/isa/prometheus/.web.yml.candidate /srv/isa/prometheus/web.yml",
  });
  assert.deepEqual(dropCandidate("/srv/isa/prometheus/web.yml"), {
    script: "rm -f /srv/isa/prometheus/.web.yml.candidate",
  });
});

Deno.test("firewall: apply, check, leftovers and removal, whole", () => {
  assert.deepEqual(APPLY_FIREWALL, {
    script: "nft -f /etc/isa-monitoring-firewall.nft && systemctl start isa-monitoring-firewall.service",
    log: "nft -f /etc/isa-monitoring-firewall.nft",
  });
  assert.deepEqual(checkRuleset("/etc/.x y.candidate"), {
    script: "nft -c -f '/etc/.x y.candidate'",
    log: "nft -c -f /etc/.x y.candidate",
  });
  const legacy =
    "{ command -v iptables >/dev/null 2>&1 && iptables -w -S ISA-MONITORING >/dev/null 2>&1 && echo chain; } ; " +
    "[ -e /etc/systemd/system/isa-monitoring-firewalld-watch.service ] && echo watch-unit; " +
    "[ -e /usr/local/sbin/isa-monitoring-firewalld-watch ] && echo watch-script; " +
    "[ -e /usr/local/sbin/isa-monitoring-firewall ] && echo script; true";
  assert.equal(LEGACY_FIREWALL_PROBE, legacy);
  assert.equal(
    FIREWALL_LEFTOVERS.script,
    "{ command -v nft >/dev/null 2>&1 && nft list table inet isa_monitoring >/dev/null 2>&1 && echo table; } ; " +
      "[ -e /etc/systemd/system/isa-monitoring-firewall.service ] && echo unit; " +
      "[ -e /etc/isa-monitoring-firewall.nft ] && echo ruleset; " + legacy,
  );
  const removeLegacy = `systemctl disable --now isa-monitoring-firewalld-watch.service >/dev/null 2>&1 || true
rm -f /etc/systemd/system/isa-monitoring-firewalld-watch.service /usr/local/sbin/isa-monitoring-firewalld-watch \
/usr/local/sbin/isa-monitoring-firewall; systemctl daemon-reload
if command -v iptables >/dev/null 2>&1; then
  while iptables -w -D DOCKER-USER -j ISA-MONITORING 2>/dev/null; do :; done
  iptables -w -F ISA-MONITORING 2>/dev/null || true; iptables -w -X ISA-MONITORING 2>/dev/null || true
fi`;
  assert.deepEqual(REMOVE_LEGACY_FIREWALL, {
    script: removeLegacy,
    log: "remove the former iptables chain ISA-MONITORING and firewalld watcher",
  });
  assert.deepEqual(REMOVE_FIREWALL, {
    script: `systemctl disable --now isa-monitoring-firewall.service >/dev/null 2>&1 || true
rm -f /etc/systemd/system/isa-monitoring-firewall.service /etc/isa-monitoring-firewall.nft; systemctl daemon-reload
if command -v nft >/dev/null 2>&1; then nft delete table inet isa_monitoring 2>/dev/null || true; fi
${removeLegacy}`,
    log: "remove nftables table inet isa_monitoring",
  });
});

Deno.test("apache: taking our block out, whole (the rest written back, or our file removed)", () => {
  const f = DEBIAN.confFile;
  assert.deepEqual(removeEdit(f, "Other\n", true), {
    change: writeFileScript(f, "Other\n", { mode: 0o644 }),
  });
  assert.deepEqual(removeEdit(f, null, true), {
    change: `rm -f ${f}\na2disconf -q EPFL_isa >/dev/null 2>&1 || true`,
    undo: "a2enconf -q EPFL_isa >/dev/null 2>&1",
  });
  assert.deepEqual(removeEdit("/etc/httpd/conf.d/EPFL_isa.conf", null, false), {
    change: "rm -f /etc/httpd/conf.d/EPFL_isa.conf",
    undo: undefined,
  });
});

Deno.test("probe: who listens on a port, whole", () => {
  assert.deepEqual(whoListens("8443"), {
    script: "ss -Htlnp 'sport = :8443' 2>/dev/null",
    log: "ss: who listens on port 8443",
    check: false,
  });
});

Deno.test("verify: the evidence read, whole (native frontend, both containers running)", () => {
  const ips = { exporter: "172.18.0.2", prometheus: "172.18.0.3" };
  const ports = { exporter: 9117, prometheus: 9090 };
  const cmd = verifyEvidence({ frontend: "native", install_dir: "/srv/isa" }, ips, ports, {
    user: "u",
    pass: 'p"\\',
  });
  assert.equal(
    cmd.script,
    `echo @@server-status
curl -s -m 5 -w '\\n@@server-status-code\\n%{http_code}\\n' 'http://localhost/server-status?auto' || true
echo @@exporter
curl -sf -m 5 http://172.18.0.2:9117/metrics | grep '^apache_' || echo @@no-answer
echo @@targets
printf '%s\\n' 'user = "u:p\\"\\\\"' | curl -sf -m 5 -k -K - 'https://172.18.0.3:9090/api/v1/targets?state=active' || printf '{}'; echo
echo @@cert
cat /srv/isa/traefik/ssl/cert.pem 2>/dev/null
echo @@end`,
  );
  assert.match(cmd.log!, /^curl server-status, exporter \/metrics/);
  // A container not running: its section stays empty.
  const none = verifyEvidence(
    { frontend: "traefik", install_dir: "/srv/isa" },
    {
      exporter: null,
      prometheus: null,
    },
    ports,
    { user: "u", pass: "p" },
  );
  assert.equal(none.script.split("\n").slice(2, 4).join("\n"), "echo @@exporter\necho @@targets");
});

Deno.test("status: the certificate and TSDB read, whole", () => {
  assert.deepEqual(statusDisk({ install_dir: "/srv/isa" }), {
    script: "echo @@enddate\n" +
      "openssl x509 -enddate -noout -in /srv/isa/traefik/ssl/cert.pem 2>/dev/null\n" +
      "echo @@cert\n" +
      "cat /srv/isa/traefik/ssl/cert.pem 2>/dev/null\n" +
      "echo @@tsdb\n" +
      "du -sb /srv/isa/prometheus/data 2>/dev/null | cut -f1\n" +
      "echo @@end",
    log: "read the certificate's end date and the TSDB's size",
  });
});
