import assert from "node:assert/strict";
import { fileChange, unifiedDiff } from "../../lib/engine/file_change.ts";
import { redact, registerSecret } from "../../lib/base/redact.ts";
import type { Ssh } from "../../lib/transport/ssh.ts";

const noSsh = {} as Ssh;

Deno.test("a file change has a sentence and a unified diff; identical content is no change", () => {
  assert.equal(fileChange(noSsh, "/etc/x.conf", "a\n", "a\n", { mode: 0o644 }), null);
  const c = fileChange(noSsh, "/etc/x.conf", "a\nb\n", "a\nc\n", { mode: 0o644 })!;
  assert.equal(c.summary, "update /etc/x.conf");
  assert.match(
    c.diff!,
    /^--- \/etc\/x\.conf \(current\)\n\+\+\+ \/etc\/x\.conf \(planned\)\n@@ -1,2 \+1,2 @@\n a\n-b\n\+c$/,
  );
  assert.equal(fileChange(noSsh, "/etc/y", null, "z\n", { mode: 0o600 })!.summary, "create /etc/y");
});

Deno.test("secrets are redacted from diffs, and secret files show no content at all", () => {
  registerSecret("s3cr3t-Pa55");
  const d = unifiedDiff("/srv/isa/x", "pass: old\n", "pass: s3cr3t-Pa55\n");
  assert.ok(!d.includes("s3cr3t-Pa55"));
  assert.match(d, /\+pass: \*\*\*/);
  assert.equal(redact(`url=${encodeURIComponent("s3cr3t-Pa55")}`), "url=***");
  const c = fileChange(noSsh, "/srv/isa/web.yml", "hash: $2a$old\n", "hash: $2a$new\n", {
    mode: 0o600,
    secret: true,
  })!;
  assert.ok(!c.diff!.includes("$2a$"));
  assert.match(c.diff!, /secret content changed; not shown/);
});
