import assert from "node:assert/strict";
import { join } from "node:path";
import { parseSecrets } from "../../lib/inventory/secrets.ts";
import { cli } from "../helpers/cli.ts";
import { tripwire } from "../helpers/tripwire.ts";

async function inventory(text: string): Promise<{ dir: string; file: string }> {
  const dir = await Deno.makeTempDir({ prefix: "isa-bad-" });
  const file = join(dir, "inv.yml");
  await Deno.writeTextFile(file, text);
  return { dir, file };
}

/** Runs `fn` over `items`, `width` at a time (each CLI run is a process start: side by side saves seconds). */
async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: width }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  }));
}

Deno.test("bad inventories exit 1 with file:line:column and contact no host", async () => {
  const wire = tripwire();
  const host = `  h1:\n    address: 127.0.0.77\n    port: ${wire.port}\n`;
  const cases: [string, RegExp][] = [
    [
      `deployment: qual\nhosts:\n${host}  h1:\n    address: x\n`,
      /inv\.yml:\d+:\d+: invalid YAML: Map keys must be unique/,
    ],
    [`deployment: qual\nhosts:\n${host}vars:\n  retention: 3d\n`, /inv\.yml:7:3: unknown key 'retention'/],
    [
      `deployment: qual\nhosts:\n${host}vars:\n  dashboard: "yes"\n`,
      /inv\.yml:7:14: vars\.dashboard must be true or false/,
    ],
    [`deployment: qual\nhosts:\n${host}  bad: [\n`, /inv\.yml:\d+:\d+: invalid YAML/],
    ["", /inv\.yml:1:1: the inventory is empty/],
    [
      `deployment: qual\nhosts:\n${host}groups:\n  a: { hosts: [h1], vars: { scrape_interval: 10s } }\n  b: { hosts: [h1], vars: { scrape_interval: 20s } }\n`,
      /conflicting values for scrape_interval from groups 'a'/,
    ],
    // Issue 14's hostile inputs, one per kind (tests/unit/inventory_test.ts has the variants).
    [
      `deployment: prod\nhosts:\n${host}vars:\n  dashboard: true\n`,
      /inv\.yml:7:14: host 'h1': dashboard is true on a prod deployment/,
    ],
    [
      `deployment: qual\nhosts:\n${host}vars:\n  grafana: { url: "http://127.0.0.77:${wire.port}", org: o, dashboard_uid: d }\n`,
      /inv\.yml:7:19: host 'h1': grafana\.url '[^']+' is not https:\/\/: the credentials sent to it would travel in clear/,
    ],
    [
      `deployment: qual\nhosts:\n  -oProxyCommand=touch /tmp/isa-pwned:\n    address: 127.0.0.77\n    port: ${wire.port}\n`,
      /inv\.yml:3:3: hosts key '-oProxyCommand=touch \/tmp\/isa-pwned' is not a host name/,
    ],
    [
      `deployment: qual\nhosts:\n${host}    jump: -V\n`,
      /inv\.yml:6:11: hosts\.h1\.jump '-V' is not a ProxyJump value/,
    ],
    [
      `deployment: qual\nhosts:\n${host}vars:\n  install_dir: /srv/../etc\n`,
      /inv\.yml:7:16: vars\.install_dir '\/srv\/\.\.\/etc' is not a normalised path/,
    ],
  ];
  try {
    await inParallel(cases, 4, async ([text, pattern]) => {
      const { dir, file } = await inventory(text);
      const r = await cli("deploy.ts", ["--inventory", file]);
      await Deno.remove(dir, { recursive: true });
      assert.equal(r.code, 1, `${pattern}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.ok(r.stderr.includes(file), "the message names the file");
    });
    assert.equal(wire.touched(), false, "no host was contacted");
  } finally {
    wire.close();
  }
});

Deno.test("flags: unknown, conflicting, bad values and empty limits exit 1 with the valid choices", async () => {
  // Side by side: each is a CLI process, and start-up is most of its time.
  const [unknown, both, forks, none, list, prod, wait] = await Promise.all([
    cli("deploy.ts", ["--frobnicate"]),
    cli("deploy.ts", ["--prod", "--inventory", "inventory/qual.yml"]),
    cli("deploy.ts", ["--forks", "0"]),
    cli("deploy.ts", ["--limit", "isaprd*"]),
    cli("deploy.ts", ["--list-hosts", "--limit", "isaqal*,!isaqal10"]),
    cli("deploy.ts", ["--prod", "--list-hosts"]),
    cli("verify_metrics.ts", ["--wait", "soon"]),
  ]);
  assert.equal(unknown.code, 1);
  // Nothing near enough to suggest: no "did you mean" guess.
  assert.match(unknown.stderr, /unknown option --frobnicate\n[\s\S]*usage: deno task deploy \[--prod\]/);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /--prod and --inventory conflict/);
  assert.equal(forks.code, 1);
  assert.match(forks.stderr, /--forks takes a whole number from 1 to 100/);
  assert.equal(none.code, 1);
  assert.match(
    none.stderr,
    /'isaprd\*' matches no host or group; known hosts: isaqal09, isaqal10; groups: all, isaqal, qual/,
  );
  assert.equal(list.code, 0);
  assert.equal(list.stdout.trim(), "isaqal09");
  assert.equal(prod.stdout.trim(), "isaprd09\nisaprd10\nisaprd11");
  assert.equal(wait.code, 1);
  assert.match(wait.stderr, /'soon' is not a duration/);
});

Deno.test("secrets: missing, failing command, garbage, empty or too long passwords are clear errors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "isa-secrets-" });
  try {
    const wire = tripwire();
    const inv = join(dir, "inv.yml");
    await Deno.writeTextFile(
      inv,
      `deployment: qual\nhosts:\n  h1:\n    address: 127.0.0.77\n    port: ${wire.port}\n`,
    );
    const run = (env: Record<string, string>) => cli("06_prometheus.ts", ["--inventory", inv], env);
    await Deno.writeTextFile(join(dir, "garbage"), "hunter2hunter2: [unclosed\n");
    const open = join(dir, "open.yml");
    await Deno.writeTextFile(open, "frontend: {credentials: [{user: isa, pass: longenough}]}\n", {
      mode: 0o644,
    });
    await Deno.chmod(open, 0o644);
    // Side by side: each is a CLI process, and start-up is most of its time.
    const [missing, failing, garbage, readable] = await Promise.all([
      run({ ISA_SECRETS_FILE: join(dir, "nope.yml") }),
      run({ ISA_SECRETS_COMMAND: "echo 'vault sealed' >&2; exit 3" }),
      run({ ISA_SECRETS_COMMAND: `cat ${join(dir, "garbage")}` }),
      run({ ISA_SECRETS_FILE: open }),
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.yml: secrets file not found/);
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /failed with exit 3: vault sealed/);
    assert.equal(garbage.code, 1);
    assert.match(garbage.stderr, /not valid YAML/);
    assert.ok(!garbage.stderr.includes("hunter2"), "the command's output is never echoed");
    assert.match(readable.stderr, /readable by others \(mode 644\); chmod 600 it/);
    // A password YAML reads as a number: refused at its line, the value never shown.
    const numeric = join(dir, "numeric.yml");
    await Deno.writeTextFile(numeric, "frontend:\n  credentials:\n    - {user: isa, pass: 012345678}\n", {
      mode: 0o600,
    });
    await Deno.chmod(numeric, 0o600);
    const number = await run({ ISA_SECRETS_FILE: numeric });
    assert.equal(number.code, 1);
    assert.match(
      number.stderr,
      /numeric\.yml:3:25: frontend\.credentials\[0\]\.pass must be a string; YAML reads it as a number/,
    );
    assert.ok(!number.stderr.includes("12345678"), number.stderr);
    // A failing command's stderr: shown, but not what it printed on stdout nor a `token=` value.
    const script = join(dir, "leaky.sh");
    await Deno.writeTextFile(
      script,
      "echo 'frontend: {credentials: [{user: isa, pass: hunter2hunter2}]}'\n" +
        "echo 'decrypt failed: token=glsa_abcdef near hunter2hunter2' >&2; exit 4\n",
    );
    const leaky = await run({ ISA_SECRETS_COMMAND: `sh ${script}` });
    assert.equal(leaky.code, 1);
    assert.match(leaky.stderr, /failed with exit 4: decrypt failed: token=\*\*\* near \*\*\*/);
    assert.ok(!leaky.stderr.includes("hunter2") && !leaky.stderr.includes("glsa_abcdef"), leaky.stderr);
    assert.equal(wire.touched(), false, "no host was contacted");
    wire.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.throws(
    () => parseSecrets("frontend: {credentials: [{user: isa, pass: ''}]}", "s.yml"),
    /pass is empty/,
  );
  assert.throws(() => parseSecrets("frontend: {credentials: []}", "s.yml"), /non-empty list/);
  assert.throws(
    () => parseSecrets(`frontend: {credentials: [{user: isa, pass: "${"é".repeat(40)}"}]}`, "s.yml"),
    /72 bytes/,
  );
  assert.throws(
    () => parseSecrets("frontend: {credentials: [{user: 'a:b', pass: longenough}]}", "s.yml"),
    /s\.yml:1:\d+: frontend\.credentials\[0\]\.user 'a:b' must be a name/,
  );
  assert.throws(
    () => parseSecrets(`frontend: {credentials: [{user: isa, pass: "line one\\nline two"}]}`, "s.yml"),
    /contains a line break/,
  );
  const hostile = parseSecrets(
    `frontend: {credentials: [{user: isa, pass: "a: $'\\" \\\\ b c✓"}]}`,
    "s.yml",
  );
  assert.equal(
    hostile.frontend.credentials[0].pass,
    `a: $'" \\ b c✓`,
    "hostile characters are kept as they are",
  );
});
