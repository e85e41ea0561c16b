import assert from "node:assert/strict";
import { cleanHolder } from "../../lib/transport/host_lock.ts";
import { verifyEvidence } from "../../lib/commands/verify.ts";
import { inventoryPath, loadInventory } from "../../lib/inventory/load.ts";
import { LOCK_DIR, LOCK_FILE } from "../../lib/base/names.ts";

Deno.test("the holder line shown to the operator carries no control characters", () => {
  const hostile = "evil\x1b[2J\x1b]0;pwned\x07 user\r\nsecond line\x9b31m\x7f";
  const shown = cleanHolder(hostile);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(shown, /[\x00-\x1f\x7f-\x9f]/);
  assert.equal(shown, "evil[2J]0;pwned usersecond line31m");
  assert.ok(cleanHolder("x".repeat(5000)).length <= 200, "bounded length");
});

Deno.test("the lock lives in a root-only folder, not in world-writable /run/lock", () => {
  assert.equal(LOCK_DIR, "/run/isa-monitoring");
  assert.ok(LOCK_FILE.startsWith(`${LOCK_DIR}/`));
  assert.doesNotMatch(LOCK_FILE, /^\/run\/lock\/|^\/tmp\//);
});

Deno.test("verify's host script writes no temporary file", async () => {
  const host = (await loadInventory(inventoryPath({ prod: false }))).hosts[0];
  const ips = { exporter: "172.18.0.2", prometheus: "172.18.0.3" };
  const s =
    verifyEvidence(host.vars, ips, { exporter: 9117, prometheus: 9090 }, { user: "u", pass: "p" }).script;
  assert.doesNotMatch(s, /\/tmp\/|\s-o\s/, "curl writes to standard output only");
  assert.match(s, /@@server-status-code/);
});
