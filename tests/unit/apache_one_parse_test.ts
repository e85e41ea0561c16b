/**
 * Issue 25 item 3: the probe asks Apache to parse its configuration once (`-t -D DUMP_INCLUDES -D
 * DUMP_MODULES`, plus `-v`, which reads none), where it parsed it three times (`-V`, `-t -D DUMP_MODULES`,
 * `-t -D DUMP_INCLUDES`): a never-deployed host has no cache, so `deploy --check` there paid all three.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { APACHE_CACHE_FORMAT, apacheSections } from "../../lib/facts/apache.ts";
import { parseFacts } from "../../lib/facts/probe.ts";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");
const read = (f: string) => Deno.readTextFile(join(fixtures, f));

/** The probe's questions to Apache when nothing is cached: the shell between `else` and the answers. */
function uncachedQuestions(): string {
  const sh = apacheSections();
  return sh.slice(
    sh.indexOf('    [ -n "$cacheable" ] && t0=$(date +%s)\n'),
    sh.indexOf("    # The root is the folder"),
  );
}

Deno.test("uncached, the probe runs Apache twice: -v (no configuration read) and one -t with both dumps", () => {
  assert.equal(
    uncachedQuestions(),
    `    [ -n "$cacheable" ] && t0=$(date +%s)
    v=$($bin -v 2>&1)
    set -f # $opts_args is split, never globbed
    inc=$($ctl $opts_args -t -D DUMP_INCLUDES -D DUMP_MODULES 2>&1); rc=$?
    set +f
`,
  );
  const sh = apacheSections();
  assert.doesNotMatch(
    sh,
    /\$(ctl|bin)\b[^\n]* -V\b/,
    "-V reads the configuration (dynamically loaded MPM): not asked",
  );
  assert.equal(sh.match(/\$opts_args -t\b/g)?.length, 1, "one configuration parse");
  // A cache written by the former probe (its sections apache-V, apache-M…) never matches this fingerprint.
  assert.match(sh, new RegExp(`fingerprint\\(\\) \\{\\n {4}\\{ echo ${APACHE_CACHE_FORMAT}; `));
  for (const gone of ["apache-V", "apache-M", "apache-includes"]) {
    assert.ok(!sh.includes(`isa_sec ${gone};`), `${gone} is no longer a section`);
  }
});

/** A probe output with the Apache sections given (RHEL layout unless `binary` says apache2). */
function probeWith(t: string, exit: string, binary = "/usr/sbin/httpd"): string {
  return `@@apache-binary\n${binary}\n@@apache-ctl\n${
    binary.endsWith("apache2") ? "apache2ctl" : binary
  }\n@@apache-v\nServer version: Apache/2.4.37 (CentOS Stream)\nServer built:   Aug 17 2023 14:07:36\n` +
    `@@apache-t\n${t}\n@@apache-t-exit\n${exit}\n@@end\n`;
}

Deno.test("the combined answer, from the real EL8 captures in Apache's order, gives what the two answers gave", async () => {
  // httpd prints DUMP_INCLUDES while it reads the configuration, DUMP_MODULES in the test_config hook
  // afterwards (server/config.c, modules/core/mod_so.c at 2.4.62); the AH00558 warning that ends the
  // includes capture was that run's stderr, printed once by the one run.
  const includes = (await read("el8-httpd-DUMP_INCLUDES.txt")).split("\n").filter((l) =>
    !l.startsWith("AH00558")
  );
  const modules = (await read("el8-httpd-DUMP_MODULES.txt")).trimEnd();
  const a = parseFacts(probeWith(`${includes.join("\n").trimEnd()}\n${modules}`, "0")).apache!;
  assert.equal(a.version, "2.4.37");
  assert.equal(a.mpm, "event", "-V's Server MPM, from mpm_event_module");
  assert.equal(a.configOk, true);
  assert.equal(a.configFile, "/etc/httpd/conf/httpd.conf");
  assert.equal(a.confFile, "/etc/httpd/conf.d/EPFL_isa.conf");
  assert.equal(a.includes.length, 14);
  assert.equal(a.includes[0], "/etc/httpd/conf/httpd.conf");
  assert.equal(a.includes.at(-1), "/etc/httpd/conf.d/welcome.conf");
  assert.ok(a.statusModule && a.authzCore);
  // Neither dump's header, nor a file, nor a module is taken for a message of the config test.
  assert.match(a.configMessage, /^AH00558: httpd: Could not reliably determine/);
  assert.equal(a.configMessage.split("\n").length, 1);
});

Deno.test("a configuration that fails to read: the files read so far, the error as the message, not ok", () => {
  const t = `Included configuration files:
  (*) /etc/httpd/conf/httpd.conf
    (59) /etc/httpd/conf.modules.d/00-base.conf
    (356) /etc/httpd/conf.d/x.conf
AH00526: Syntax error on line 3 of /etc/httpd/conf.d/x.conf:
Invalid command 'Foo', perhaps misspelled or defined by a module not included in the server configuration`;
  const a = parseFacts(probeWith(t, "1")).apache!;
  assert.equal(a.configOk, false);
  assert.deepEqual(a.includes, [
    "/etc/httpd/conf/httpd.conf",
    "/etc/httpd/conf.modules.d/00-base.conf",
    "/etc/httpd/conf.d/x.conf",
  ]);
  assert.match(
    a.configMessage,
    /^AH00526: Syntax error on line 3 of \/etc\/httpd\/conf\.d\/x\.conf:\nInvalid command 'Foo'/,
  );
  assert.equal(a.mpm, "", "no module list, no MPM");
});

Deno.test("no file listed (the main file can't be opened): the layout's own root and main file", () => {
  const deb = parseFacts(
    probeWith(
      "apache2: Could not open configuration file /etc/apache2/apache2.conf: No such file or directory",
      "1",
      "/usr/sbin/apache2",
    ),
  ).apache!;
  assert.equal(deb.configFile, "/etc/apache2/apache2.conf");
  assert.equal(deb.confFile, "/etc/apache2/conf-available/EPFL_isa.conf");
  assert.equal(deb.configOk, false);
  const rhel = parseFacts(
    probeWith("httpd: Could not open configuration file /etc/httpd/conf/httpd.conf", "1"),
  )
    .apache!;
  assert.equal(rhel.configFile, "/etc/httpd/conf/httpd.conf");
  assert.equal(rhel.confFile, "/etc/httpd/conf.d/EPFL_isa.conf");
});
