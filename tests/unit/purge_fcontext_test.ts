/**
 * Issue 24, item 7: `uninstall --purge` also removes the SELinux file-context rule the docker step added;
 * and the image archives a dead run left in the host's cache.
 */
import assert from "node:assert/strict";
import { purgeStep } from "../../lib/steps/uninstall.ts";
import { fcontextPattern, fcontextRuleQuery, labelContainerFiles } from "../../lib/commands/docker.ts";
import { parseFacts } from "../../lib/facts/probe.ts";
import { fakeContext, qualHost } from "../helpers/fake_host.ts";
import { blankProbed } from "../../lib/facts/needs.ts";
import { CACHE_ROOT } from "../../lib/base/names.ts";

const facts = parseFacts("@@os-release\nID=rhel\nVERSION_ID=9.6\n@@end\n");

Deno.test("purge: the rule the docker step added is deleted, by the same pattern", async () => {
  const host = await qualHost();
  // What `semanage fcontext -l -C` prints for our rule on RHEL 9.
  const ctx = fakeContext(facts, host, [
    { match: /du -s/, stdout: "12M marked" },
    {
      match: /semanage fcontext -l -C/,
      stdout: "/srv/isa(/.*)?    all files    system_u:object_r:container_file_t:s0",
    },
  ]);
  const changes = await purgeStep.plan(ctx);
  const rule = changes.find((c) => c.summary.startsWith("remove the SELinux file-context rule"));
  assert.ok(rule, changes.map((c) => c.summary).join("\n"));
  assert.deepEqual(rule.command, {
    script: "semanage fcontext -d '/srv/isa(/.*)?'",
    log: "semanage fcontext -d /srv/isa",
  });
  // The pattern deleted is the one added.
  assert.ok(
    labelContainerFiles("/srv/isa", host.vars).script.includes(
      `-t container_file_t '${fcontextPattern("/srv/isa")}'`,
    ),
  );
  assert.equal(
    fcontextRuleQuery("/srv/isa").script,
    "command -v semanage >/dev/null 2>&1 || exit 0\n" +
      "semanage fcontext -l -C 2>/dev/null | awk -v re='/srv/isa(/.*)?' '$1 == re' || true",
  );
});

Deno.test("purge: no rule (Debian, or SELinux off) plans no semanage", async () => {
  const ctx = fakeContext(facts, await qualHost(), [{ match: /du -s/, stdout: "12M marked" }]);
  const changes = await purgeStep.plan(ctx);
  assert.ok(changes.every((c) => !c.summary.includes("SELinux")), changes.map((c) => c.summary).join("\n"));
  assert.equal(changes.length, 1, "the folder only");
});

Deno.test("the rule query finds only our exact pattern in semanage's listing", async () => {
  const listing = [
    "/srv/isa-other(/.*)?    all files    system_u:object_r:httpd_sys_content_t:s0",
    "/srv/isa(/.*)?    all files    system_u:object_r:container_file_t:s0",
  ].join("\n");
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/semanage`, `#!/bin/sh\nprintf '%s\\n' '${listing}'\n`, { mode: 0o755 });
    const out = await new Deno.Command("/bin/sh", {
      args: ["-c", fcontextRuleQuery("/srv/isa").script],
      env: { PATH: `${dir}:/usr/bin:/bin` },
    }).output();
    assert.equal(
      new TextDecoder().decode(out.stdout),
      "/srv/isa(/.*)?    all files    system_u:object_r:container_file_t:s0\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("purge: our folder under /var/cache goes too, with what a run that died left in it; none, nothing planned", async () => {
  const host = await qualHost();
  const answers = [{ match: /du -s/, stdout: "12M marked" }];
  const probed = { ...blankProbed(), dirs: { [CACHE_ROOT]: { owner: "0:0", mode: "755" } } };
  const left = await purgeStep.plan(fakeContext(facts, host, answers, probed));
  const cache = left.find((c) => c.summary.startsWith(`remove ${CACHE_ROOT} `));
  assert.ok(cache, left.map((c) => c.summary).join("\n"));
  assert.deepEqual(cache.command, {
    script: "rm -rf -- /var/cache/isa-monitoring",
    log: "rm -rf /var/cache/isa-monitoring",
  });
  assert.deepEqual(purgeStep.needs?.(host), { dirs: [CACHE_ROOT] }, "asked in the batched probe");
  const none = await purgeStep.plan(fakeContext(facts, host, answers));
  assert.ok(!none.some((c) => c.summary.includes(CACHE_ROOT)), none.map((c) => c.summary).join("\n"));
});
