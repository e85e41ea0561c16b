/** `deploy --serial 1` with the first host broken: the second is not touched, the recap says so, exit 2. */
import * as assert from "node:assert/strict";
import { cli, lab, onHost } from "../helpers/lab.ts";

const OURS = "/etc/apache2/conf-available/EPFL_isa.conf";
const BROKEN = "/etc/apache2/conf-enabled/zz-broken-by-test.conf";

Deno.test("deploy --serial 1 stops at the first broken host", async () => {
  const info = await lab();
  const inv = info.inventory;
  const [h1, h2] = info.hosts.map((h) => h.name);
  const first = await cli("deploy.ts", ["--inventory", inv]);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  try {
    // h1: our block removed (so the apache step has work) and Apache's config broken (so it fails).
    assert.equal((await onHost(info, h1, `rm -f ${OURS}; echo 'NotADirective on' > ${BROKEN}`)).code, 0);
    // h2: our block removed too; a deploy that touched h2 would put it back.
    assert.equal((await onHost(info, h2, `rm -f ${OURS}`)).code, 0);
    const r = await cli("deploy.ts", ["--inventory", inv, "--serial", "1"]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`${h1}\\s+failed`));
    assert.match(r.stdout, new RegExp(`${h2}\\s+not started`));
    assert.match(r.stdout, new RegExp(`not started: ${h2} \\(rolling deploy stopped after ${h1} failed\\)`));
    const untouched = await onHost(info, h2, `test -e ${OURS} && echo present || echo absent`);
    assert.equal(untouched.out, "absent", `${h2} was touched`);
    const j = await cli("deploy.ts", ["--inventory", inv, "--serial", "1", "--json"]);
    assert.equal(j.json.hosts[1].status, "not started");
  } finally {
    await onHost(info, h1, `rm -f ${BROKEN}`);
    const r = await cli("deploy.ts", ["--inventory", inv]);
    assert.equal(r.code, 0, r.stdout);
  }
});
