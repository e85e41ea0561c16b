/** The probe's search of the files Apache loads, run with the host's sh, sed and grep on real files. */
import assert from "node:assert/strict";
import $ from "dax";
import { quote } from "../../lib/base/quote.ts";
import { PROBE_FUNCTIONS, sections } from "../../lib/base/probe_sections.ts";
import { APACHE_SEARCH } from "../../lib/facts/apache.ts";

Deno.test("only files listed by -t -D DUMP_INCLUDES are searched, nested includes from anywhere included", async () => {
  const dir = await Deno.makeTempDir({ prefix: "isa-test-apache-" });
  try {
    const f = (p: string, text: string) => Deno.writeTextFile(`${dir}/${p}`, text);
    await Deno.mkdir(`${dir}/conf.d`);
    await Deno.mkdir(`${dir}/elsewhere dir`);
    await Deno.mkdir(`${dir}/sites-available`);
    await f("httpd.conf", "ServerRoot /etc/httpd\nExtendedStatus On\nIncludeOptional conf.d/*.conf\n");
    await f(
      "conf.d/vhosts.conf",
      "<VirtualHost *:80>\n  Include '/elsewhere dir/site.conf'\n</VirtualHost>\n",
    );
    await f(
      "elsewhere dir/site.conf",
      '# a vhost\n<Location "/server-status">\n  SetHandler server-status\n</Location>\n ExtendedStatus off\n',
    );
    // Not loaded: a file Apache does not include must not count.
    await f("sites-available/old.conf", "<Location /server-status>\n</Location>\nExtendedStatus On\n");
    const inc = [
      "Included configuration files:",
      `  (*) ${dir}/httpd.conf`,
      `    (3) ${dir}/conf.d/vhosts.conf`,
      `      (2) ${dir}/elsewhere dir/site.conf`,
      "",
    ].join("\n");
    const out = await $`sh -s`.stdinText(`inc=${quote(inc)}\n${PROBE_FUNCTIONS}${APACHE_SEARCH}`).text();
    const s = sections(out);
    assert.deepEqual(s.get("apache-status-locations"), [
      `${dir}/elsewhere dir/site.conf:2:<Location "/server-status">`,
    ]);
    assert.deepEqual(
      s.get("apache-extendedstatus"),
      ["ExtendedStatus On", " ExtendedStatus off"],
      "in load order",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
