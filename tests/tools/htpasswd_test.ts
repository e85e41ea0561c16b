import assert from "node:assert/strict";
import $ from "dax";
import {
  BCRYPT_COST,
  hashCredentials,
  hashMatches,
  hashPassword,
  parseHtpasswd,
  renderHtpasswd,
} from "../../lib/render/htpasswd.ts";

/** Runs the real `htpasswd -v`, the password on stdin (`-i`), never in argv. */
async function htpasswdVerifies(file: string, user: string, pass: string): Promise<boolean> {
  const r = await $`htpasswd -v -i ${file} ${user}`.stdinText(pass).quiet().noThrow();
  return r.code === 0;
}

Deno.test("hashes are $2y$ bcrypt at cost 10 and the real htpasswd -v accepts them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "isa-test-htpasswd-" });
  try {
    const users = await hashCredentials([{ user: "alice", pass: "correct horse" }, {
      user: "bob",
      pass: "p@ss:wörd'\"",
    }], new Map());
    for (const [, h] of users) assert.match(h, new RegExp(`^\\$2y\\$${BCRYPT_COST}\\$`));
    const file = `${dir}/htpasswd`;
    await Deno.writeTextFile(file, renderHtpasswd(users));
    assert.ok(await htpasswdVerifies(file, "alice", "correct horse"));
    assert.ok(await htpasswdVerifies(file, "bob", "p@ss:wörd'\""));
    assert.ok(!(await htpasswdVerifies(file, "alice", "wrong")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a hash made by htpasswd -B is kept while the password still matches", async () => {
  const r = await $`htpasswd -nBi -C 10 carol`.stdinText("s3cret-pass").quiet();
  const existing = parseHtpasswd(r.stdout);
  const old = existing.get("carol")!;
  assert.match(old, /^\$2y\$10\$/);
  const [[, kept]] = await hashCredentials([{ user: "carol", pass: "s3cret-pass" }], existing);
  assert.equal(kept, old);
});

Deno.test("an unchanged password keeps its hash, a changed one gets a new hash", async () => {
  const first = await hashCredentials([{ user: "a", pass: "one-password" }, {
    user: "b",
    pass: "two-password",
  }], new Map());
  const existing = parseHtpasswd(renderHtpasswd(first));
  const second = await hashCredentials([{ user: "a", pass: "one-password" }, {
    user: "b",
    pass: "changed-pass",
  }], existing);
  assert.equal(second[0][1], first[0][1]);
  assert.notEqual(second[1][1], first[1][1]);
  assert.ok(await hashMatches("changed-pass", second[1][1]));
  // Same input again: byte-identical file, so a re-run changes nothing.
  const third = await hashCredentials([{ user: "a", pass: "one-password" }, {
    user: "b",
    pass: "changed-pass",
  }], parseHtpasswd(renderHtpasswd(second)));
  assert.equal(renderHtpasswd(third), renderHtpasswd(second));
});

Deno.test("garbage in a deployed file is replaced, not trusted", async () => {
  assert.equal(await hashMatches("x", "not-a-hash"), false);
  assert.equal(await hashMatches("x", undefined), false);
  const [[, h]] = await hashCredentials(
    [{ user: "a", pass: "some-password" }],
    new Map([["a", "$apr1$foo$bar"]]),
  );
  assert.match(h, /^\$2y\$10\$/);
});

Deno.test("user names that would break the file are refused", async () => {
  await assert.rejects(() => hashCredentials([{ user: "a:b", pass: "x" }], new Map()), /invalid user name/);
});

Deno.test("one run hashes a password once (every host gets that hash), with its own salt and cost", async () => {
  const a = await hashPassword("same-password");
  assert.equal(await hashPassword("same-password"), a, "reused within the run: one bcrypt for N hosts");
  assert.notEqual(await hashPassword("other-password"), a);
  assert.match(await hashPassword("same-password", 4), /^\$2y\$04\$/, "another cost is another hash");
  const [[, kept]] = await hashCredentials([{ user: "isa", pass: "same-password" }], new Map([["isa", a]]));
  assert.equal(kept, a, "a matching hash is kept");
  const [[, redone]] = await hashCredentials(
    [{ user: "self", pass: "same-password", cost: 4 }],
    new Map([["self", a]]),
  );
  assert.match(redone, /^\$2y\$04\$/, "a hash of another cost is redone");
});
