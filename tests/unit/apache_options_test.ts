/**
 * Issue 24, item 3: the arguments systemd gives Apache (httpd's OPTIONS, Debian's APACHE_ARGUMENTS) are
 * read from the unit and reach every question the probe asks and the `-t` before each reload.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { APACHE_OPTIONS, apacheSections } from "../../lib/facts/apache.ts";
import { PROBE_FUNCTIONS } from "../../lib/base/probe_sections.ts";
import { parseFacts } from "../../lib/facts/probe.ts";
import { changeApache, configTest } from "../../lib/commands/apache.ts";

/** Runs APACHE_OPTIONS then `$ctl $opts_args -t` with stand-ins for systemctl and the control program. */
async function withUnitEnvironment(bin: string, environment: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "systemctl"), `#!/bin/sh\nprintf '%s\\n' '${environment}'\n`, {
      mode: 0o755,
    });
    await Deno.writeTextFile(
      join(dir, "ctl"),
      `#!/bin/sh\necho "args:$*"\necho "APACHE_ARGUMENTS=\${APACHE_ARGUMENTS:-}"\n`,
      { mode: 0o755 },
    );
    await Deno.writeTextFile(join(dir, "GLOB_ME"), "");
    const script =
      `${PROBE_FUNCTIONS}\nbin=${bin}; ctl=${dir}/ctl\n${APACHE_OPTIONS}set -f\n$ctl $opts_args -t`;
    const out = await new Deno.Command("/bin/sh", {
      args: ["-c", script],
      cwd: dir,
      env: { PATH: `${dir}:/usr/bin:/bin` },
    }).output();
    return new TextDecoder().decode(out.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("httpd: OPTIONS from the unit's Environment (systemctl edit) reach httpd, split, never globbed", async () => {
  // `systemctl show -p Environment --value httpd` after `Environment="OPTIONS=-DISA -DTLS"` and LANG=C.
  const out = await withUnitEnvironment("/usr/sbin/httpd", `LANG=C "OPTIONS=-DISA -D*"`);
  assert.equal(out, "@@apache-options\n-DISA -D*\nargs:-DISA -D* -t\nAPACHE_ARGUMENTS=\n");
  assert.equal(
    await withUnitEnvironment("/usr/sbin/httpd", "LANG=C"),
    "@@apache-options\n\nargs:-t\nAPACHE_ARGUMENTS=\n",
  );
});

Deno.test("Debian: APACHE_ARGUMENTS from the unit reaches apache2ctl in its environment, not as arguments", async () => {
  const out = await withUnitEnvironment(
    "/usr/sbin/apache2",
    `APACHE_STARTED_BY_SYSTEMD=true "APACHE_ARGUMENTS=-DISA"`,
  );
  assert.equal(out, "@@apache-options\n-DISA\nargs:-t\nAPACHE_ARGUMENTS=-DISA\n");
});

Deno.test("the probe asks every question with the options, and its cache covers the unit's Environment", () => {
  const sh = apacheSections();
  // The one question that reads the configuration gets them (`-v` reads none: apacheSections' JSDoc).
  assert.ok(sh.includes("$($ctl $opts_args -t -D DUMP_INCLUDES -D DUMP_MODULES 2>&1)"));
  assert.equal(sh.match(/\$ctl /g)?.length, 1, "no other question goes through $ctl");
  assert.match(sh, /fingerprint\(\) \{\n {4}\{ echo isa-apache-cache-2; printf '%s\\n' "\$unit_env"; stat/);
  assert.doesNotMatch(sh, /sysconfig/, "RHEL 7's file is read by no EL8+ unit");
});

Deno.test("OPTIONS reach `httpd -t` before each reload; APACHE_ARGUMENTS reach apache2ctl -t", () => {
  const facts = parseFacts(
    "@@apache-binary\n/usr/sbin/httpd\n@@apache-ctl\n/usr/sbin/httpd\n@@apache-options\n-DISA -DTLS\n@@end\n",
  );
  assert.equal(facts.apache!.options, "-DISA -DTLS");
  assert.equal(configTest(facts.apache!), "/usr/sbin/httpd -DISA -DTLS -t");
  assert.match(
    changeApache(facts.apache!, { change: "true" }, "x").script,
    /out=\$\(\/usr\/sbin\/httpd -DISA -DTLS -t 2>&1\)/,
  );
  assert.equal(
    configTest({ ctl: "/usr/sbin/httpd", options: "-D'x y'" }),
    "/usr/sbin/httpd '-D'\\''x' 'y'\\''' -t",
  );
  assert.equal(
    configTest({ ctl: "apache2ctl", options: "-DISA -DX" }),
    "APACHE_ARGUMENTS='-DISA -DX' apache2ctl -t",
  );
  assert.equal(configTest({ ctl: "/usr/sbin/httpd", options: "" }), "/usr/sbin/httpd -t");
});
