import assert from "node:assert/strict";
import { parseSecrets, redactCommandStderr } from "../../lib/inventory/secrets.ts";

const good = "frontend:\n  credentials:\n    - user: isa\n      pass: longenough\n";

Deno.test("secrets: a password YAML reads as a number, infinity or boolean is refused at file:line:col", () => {
  for (
    const value of ["012345678", "12345678", ".inf", "-.Inf", ".nan", "0x1F2E3D4C", "1e10", "true", "null"]
  ) {
    assert.throws(
      () => parseSecrets(good.replace("longenough", value), "s.yml"),
      (e: Error) => {
        // The whole message: it names the place and YAML's reading, never the value.
        assert.match(
          e.message,
          /^s\.yml:4:13: frontend\.credentials\[0\]\.pass must be a string; YAML reads it as (a number|true\/false|null): put it in quotes$/,
        );
        return true;
      },
      value,
    );
  }
  assert.equal(
    parseSecrets(good.replace("longenough", '"012345678"'), "s.yml").frontend.credentials[0].pass,
    "012345678",
  );
  assert.throws(
    () => parseSecrets(good + "grafana: {token: 12345}\n", "s.yml"),
    /^UsageError: s\.yml:5:18: grafana\.token must be a string; YAML reads it as a number/,
  );
  assert.throws(
    () => parseSecrets(good + "remote_write: {password: .inf}\n", "s.yml"),
    /s\.yml:5:26: remote_write\.password must be a string/,
  );
});

Deno.test("secrets: other errors name the line and never show a value", () => {
  const cases: [string, RegExp][] = [
    [
      good.replace("longenough", "short"),
      /s\.yml:4:13: frontend\.credentials\[0\]\.pass is shorter than 8 characters/,
    ],
    [
      good + "vault: {x: 1}\n",
      /s\.yml:5:1: unknown key 'vault' \(known: frontend, grafana, remote_write, alerting, registries\)/,
    ],
    [
      good + "remote_write: {pasword: hunter2hunter2}\n",
      /s\.yml:5:16: unknown key 'pasword' in remote_write/,
    ],
    [good + "grafana: {token: ''}\n", /s\.yml:5:18: grafana\.token is empty/],
    ["grafana: {token: hunter2hunter2}\n", /s\.yml:1:1: the file lacks the required key 'frontend'/],
    ["- hunter2hunter2\n", /s\.yml:1:1: expected a mapping with frontend\.credentials/],
    ["frontend: {credentials: [{user: isa, pass: hunter2hunter2}]\n", /s\.yml:\d+:\d+: not valid YAML$/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => parseSecrets(text, "s.yml"), (e: Error) => {
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes("hunter2") && !e.message.includes("Zq9"), e.message);
      return true;
    });
  }
  const all = parseSecrets(
    good + "grafana: {token: glsa_x}\nremote_write: {username: u, password: p, bearer_token: t}\n",
    "s.yml",
  );
  assert.deepEqual(all, {
    frontend: { credentials: [{ user: "isa", pass: "longenough" }] },
    grafana: { token: "glsa_x" },
    remote_write: { username: "u", password: "p", bearer_token: "t" },
  });
});

Deno.test("a failing secrets command's stderr is shown redacted, one line, printable", () => {
  const stdout = "frontend:\n  credentials:\n    - {user: isa, pass: 'S3cret pass phrase'}\n";
  const shown = redactCommandStderr(
    "warming up\nparse error near 'S3cret pass phrase' (password=hunter2hunter2) \x1b[2J\n",
    stdout,
  );
  assert.ok(!shown.includes("S3cret") && !shown.includes("phrase") && !shown.includes("hunter2"), shown);
  assert.ok(!shown.includes("\x1b"), "no raw escape");
  assert.match(shown, /^parse error near '\*\*\*' \(password=\*\*\*\) \\x1b\[2J$/);
  assert.equal(redactCommandStderr("vault sealed\n", ""), "vault sealed");
  assert.ok(redactCommandStderr("x".repeat(1000), "").length <= 201);
});
