/** `deploy --serial 1` with the first host broken: the second is not touched, the recap says so, exit 2. */
import * as assert from "node:assert/strict";
import { installPaths } from "../../lib/inventory/paths.ts";
import { loadInventory } from "../../lib/inventory/load.ts";
import { cli, lab, onHost } from "../helpers/lab.ts";

// Debian's and RHEL's include folders (the lab may hold either shape): a file there breaks `apachectl -t`.
const BREAK =
  "d=/etc/apache2/conf-enabled; [ -d $d ] || d=/etc/httpd/conf.d; echo 'NotADirective on' > $d/zz-broken-by-test.conf";
const UNBREAK =
  "rm -f /etc/apache2/conf-enabled/zz-broken-by-test.conf /etc/httpd/conf.d/zz-broken-by-test.conf";
const MARK = "# untouched-by-serial-test";

Deno.test("deploy --serial 1 stops at the first broken host", async () => {
  const info = await lab();
  const inv = info.inventory;
  const [h1, h2] = info.hosts.map((h) => h.name);
  const promYml = installPaths((await loadInventory(inv)).hosts[1].vars).prometheusYml;
  // Both hosts deployed once, so that h2 has a prometheus.yml a deploy would rewrite.
  const first = await cli("deploy.ts", ["--inventory", inv]);
  assert.equal((await onHost(info, h2, `test -f ${promYml}`)).code, 0, first.stdout + first.stderr);
  try {
    assert.equal((await onHost(info, h1, BREAK)).code, 0);
    // A deploy that reached h2 would take this line out again.
    assert.equal((await onHost(info, h2, `echo '${MARK}' >> ${promYml}`)).code, 0);
    const r = await cli("deploy.ts", ["--inventory", inv, "--serial", "1"]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`batch \\(--serial 1\\): ${h1}\\n`));
    assert.match(r.stdout, new RegExp(`${h1}\\s+failed`));
    assert.match(r.stdout, new RegExp(`${h2}\\s+not started`));
    assert.match(r.stdout, new RegExp(`not started: ${h2} \\(rolling deploy stopped after ${h1} failed\\)`));
    assert.doesNotMatch(r.stdout, new RegExp(`^${h2}\\s+(facts|lock|apache)`, "m"), "no step ran on h2");
    const mark = await onHost(info, h2, `grep -c '${MARK}' ${promYml}`);
    assert.equal(mark.out, "1", `${h2} was touched`);
    const j = await cli("deploy.ts", ["--inventory", inv, "--serial", "1", "--json"]);
    assert.equal(j.code, 2);
    assert.deepEqual(j.json.hosts.map((h: { status: string }) => h.status), ["failed", "not started"]);
    assert.match(j.json.hosts[1].error, /not started/);
  } finally {
    await onHost(info, h1, UNBREAK);
    const r = await cli("deploy.ts", ["--inventory", inv]);
    console.log(`clean-up deploy: exit ${r.code}`);
  }
});
