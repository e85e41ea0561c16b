/**
 * A no-op deploy reaches a host twice: the connection, then the lock with the one batched probe in its
 * session. Apache's answers are reused while nothing it reads changed, and asked again when something did.
 */
import assert from "node:assert/strict";
import { cli, lab, onHost } from "../helpers/lab.ts";

const HOST = "isaqal09";
const EXTRA = "/etc/apache2/conf-enabled/zz-isa-round-trip-test.conf";

Deno.test("no-op deploy: two remote commands, no Docker socket forward; Apache's cached answers follow an edit", async (t) => {
  const info = await lab();
  const inv = info.inventory;
  const first = await cli("deploy.ts", ["--inventory", inv, "--limit", HOST, "--json"]);
  assert.equal(first.code, 0, first.stdout + first.stderr);

  await t.step("a re-run lists two remote commands and opens no Docker socket forward", async () => {
    const r = await cli("deploy.ts", ["--inventory", inv, "--limit", HOST, "-v"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /no changes/);
    const remote = r.stdout.split("\n").filter((l) => /^\S+\s+\S+\s+\$ /.test(l));
    assert.ok(remote.length <= 2, `at most two remote commands:\n${remote.join("\n")}`);
    assert.ok(remote.some((l) => /\$ lock; probe facts/.test(l)), remote.join("\n"));
    assert.doesNotMatch(r.stdout, /dial-stdio|-O forward|docker\.sock/);
  });

  await t.step(
    "the package manager is asked for the facts report (a deploy on an installed host skips it)",
    async () => {
      const r = await cli("01_facts.ts", ["--inventory", inv, "--limit", HOST]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /docker: docker\.io \S+, running/);
    },
  );

  await t.step("a hit leaves the cache as it was; Apache's configuration is not parsed again", async () => {
    const stamp = () => onHost(info, HOST, "stat -c '%Y.%i' /run/isa-monitoring/apache-probe");
    const before = await stamp();
    assert.equal(before.code, 0, `the probe keeps its answers: ${before.out}`);
    const r = await cli("deploy.ts", ["--inventory", inv, "--limit", HOST, "--json"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((await stamp()).out, before.out, "the cached answers were reused, not rewritten");
  });

  await t.step(
    "a file added to an Include glob is seen at once (its folder's times are in the fingerprint)",
    async () => {
      try {
        const put = await onHost(
          info,
          HOST,
          `printf '<Location /server-status>\\n  SetHandler server-status\\n</Location>\\n' > ${EXTRA}`,
        );
        assert.equal(put.code, 0, put.out);
        const r = await cli("04_apache.ts", ["--inventory", inv, "--limit", HOST, "--check", "--json"]);
        assert.notEqual(r.code, 0, "the unmanaged block stops the Apache step");
        assert.match(JSON.stringify(r.json), /zz-isa-round-trip-test\.conf/);
      } finally {
        await onHost(info, HOST, `rm -f ${EXTRA}`);
      }
      const r = await cli("04_apache.ts", ["--inventory", inv, "--limit", HOST, "--check", "--json"]);
      assert.equal(r.code, 0, `gone again once the file is removed: ${r.stdout}`);
    },
  );
});
