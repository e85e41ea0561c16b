import assert from "node:assert/strict";
import { applyChange } from "../../lib/engine/change.ts";
import { fileChange, statDrift } from "../../lib/engine/file_change.ts";
import type { Ssh } from "../../lib/transport/ssh.ts";
import { keepingPrevious } from "../../lib/containers/previous_files.ts";

/** Records what the change writes instead of reaching a host. */
function recorder() {
  const writes: { path: string; content: string; mode: number; owner?: string }[] = [];
  const ssh = {
    writeFile: (path: string, content: string, o: { mode: number; owner?: string }) => {
      writes.push({ path, content, ...o });
      return Promise.resolve();
    },
  } as unknown as Ssh;
  return { ssh, writes };
}

const SECRET = { mode: 0o600, owner: "0:0", secret: true };

Deno.test("a chmod 644 of a secret file is a change that restores 0600; the right mode is none", async () => {
  const { ssh, writes } = recorder();
  const c = fileChange(ssh, "/srv/isa/traefik/htpasswd", "u:$2y$hash\n", "u:$2y$hash\n", {
    ...SECRET,
    found: { owner: "0:0", mode: "644" },
  });
  assert.ok(c, "mode drift is a change");
  assert.match(c.summary, /restore \/srv\/isa\/traefik\/htpasswd \(mode 0644 → 0600\)/);
  assert.equal(c.diff, undefined, "no content shown");
  await applyChange(ssh, c);
  assert.deepEqual(writes, [{
    path: "/srv/isa/traefik/htpasswd",
    content: "u:$2y$hash\n",
    mode: 0o600,
    owner: "0:0",
  }]);
  // After the repair the probe finds 600: nothing to do (idempotence).
  assert.equal(fileChange(ssh, "/x", "a", "a", { ...SECRET, found: { owner: "0:0", mode: "600" } }), null);
  // Without a stat (callers that don't probe modes) content alone decides, as before.
  assert.equal(fileChange(ssh, "/x", "a", "a", SECRET), null);
});

Deno.test("owner drift and looser or stricter modes are drift; content changes stay updates", () => {
  assert.equal(
    statDrift({ mode: 0o600, owner: "0:0", found: { owner: "1000:1000", mode: "600" } }),
    "owner 1000:1000 → 0:0",
  );
  assert.equal(statDrift({ mode: 0o644, found: { owner: "0:0", mode: "600" } }), "mode 0600 → 0644");
  assert.equal(statDrift({ mode: 0o600, found: { owner: "0:0", mode: "4600" } }), "mode 4600 → 0600");
  assert.equal(statDrift({ mode: 0o600, owner: "0:0", found: null }), null);
  const { ssh } = recorder();
  const c = fileChange(ssh, "/x", "old", "new", { ...SECRET, found: { owner: "0:0", mode: "644" } });
  assert.match(c!.summary, /^update \/x$/, "a content change rewrites the file with its mode anyway");
});

Deno.test("a mode-only restore keeps no previous copy (no swap follows it); a content change does", async () => {
  const scripts: string[] = [];
  const ssh = {
    run: (script: string) => {
      scripts.push(script);
      return Promise.resolve({ code: 0, stdout: "made 0\n", stderr: "" });
    },
    writeFile: () => Promise.resolve(),
  } as unknown as Ssh;
  const path = "/srv/isa/prometheus/web.yml";
  const opts = { mode: 0o600, found: { owner: "0:0", mode: "644" } };
  const restore = fileChange(ssh, path, "same\n", "same\n", opts)!;
  assert.equal(restore.sameContent, true);
  await applyChange(ssh, keepingPrevious(ssh, restore, [path])!);
  assert.deepEqual(scripts, [], "no copy made for a mode-only restore");
  const update = fileChange(ssh, path, "old\n", "new\n", opts)!;
  await applyChange(ssh, keepingPrevious(ssh, update, [path])!);
  assert.equal(scripts.length, 1, "the previous content is kept for a rollback");
  assert.ok(String(scripts[0]).includes(path));
});

Deno.test("mode drift: an owner by name (the account not made yet, under --check) is drift for any file found", () => {
  const found = { owner: "0:0", mode: "600" };
  assert.equal(
    statDrift({ mode: 0o600, owner: "isa-monitoring:isa-monitoring", found }),
    "owner 0:0 → isa-monitoring:isa-monitoring",
  );
  assert.equal(statDrift({ mode: 0o600, owner: "0:0", found }), null);
});
