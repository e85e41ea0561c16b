import assert from "node:assert/strict";
import { type Infer, parseLocated, type Schema, validate } from "../../lib/inventory/schema.ts";
import type { Vars } from "../../lib/inventory/vars.ts";
import type { Credential, Secrets } from "../../lib/inventory/secrets.ts";

/** True when A and B are the same type (compile-time). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;

const sample = {
  kind: "object",
  fields: {
    mode: { kind: "string", enum: ["pull", "push"] },
    name: { kind: "string", pattern: /^[a-z]+$/, hint: "a lower-case name" },
    count: { kind: "int", min: 1 },
    on: { kind: "boolean" },
    tags: { kind: "list", of: { kind: "string" } },
    sizes: { kind: "map", of: { kind: "number" } },
    nested: { kind: "object", fields: { a: { kind: "int" }, b: { kind: "string" } } },
    target: {
      kind: "nullable",
      of: {
        kind: "object",
        fields: { url: { kind: "string" }, extra: { kind: "string" } },
        required: ["url"],
      },
    },
  },
} as const satisfies Schema;

// The type comes from the declaration: a wrong inference fails `deno check` of this file.
const inferred: Equal<Infer<typeof sample>, {
  mode: "pull" | "push";
  name: string;
  count: number;
  on: boolean;
  tags: string[];
  sizes: Record<string, number>;
  nested: { a: number; b: string };
  target: { url: string; extra?: string } | null;
}> = true;
const varsShape: Equal<Vars["frontend"], "traefik" | "native"> = true;
const remoteWrite: Equal<
  NonNullable<Vars["remote_write"]>,
  { url: string; auth: "none" | "basic" | "bearer"; query_url?: string }
> = true;
const credential: Equal<Credential, { user: string; pass: string }> = true;
const secrets: Equal<
  Secrets,
  {
    frontend: { credentials: { user: string; pass: string }[] };
    grafana?: { token: string };
    remote_write?: { username?: string; password?: string; bearer_token?: string };
    alerting?: { username?: string; password?: string; bearer_token?: string };
    registries?: Record<string, { username: string; password: string }>;
  }
> = true;

function check(text: string, schema: Schema, partial = false): unknown {
  const { loc, root } = parseLocated("f.yml", text);
  return validate(loc, root, schema, "", partial);
}

Deno.test("inferred types match the declarations (checked at compile time)", () => {
  assert.ok(inferred && varsShape && remoteWrite && credential && secrets);
});

Deno.test("validate returns plain values and names file:line:col of the first problem", () => {
  const ok = check(
    "mode: push\nname: abc\ncount: 2\non: true\ntags: [x]\nsizes: {a: 1.5}\nnested: {a: 1, b: c}\ntarget: null\n",
    sample,
  );
  assert.deepEqual(ok, {
    mode: "push",
    name: "abc",
    count: 2,
    on: true,
    tags: ["x"],
    sizes: { a: 1.5 },
    nested: { a: 1, b: "c" },
    target: null,
  });
  const full =
    "mode: push\nname: abc\ncount: 2\non: true\ntags: []\nsizes: {}\nnested: {a: 1, b: c}\ntarget: null\n";
  const bad = (text: string, pattern: RegExp) => assert.throws(() => check(text, sample), pattern);
  bad(
    full.replace("mode: push", "mode: carry"),
    /^UsageError: f\.yml:1:7: mode is 'carry'; it must be one of pull, push$/,
  );
  bad(full.replace("name: abc", "name: ABC"), /f\.yml:2:7: name 'ABC' is not a lower-case name/);
  bad(full.replace("count: 2", "count: 0"), /f\.yml:3:8: count must be a whole number of at least 1/);
  bad(full.replace("count: 2", "count: .inf"), /f\.yml:3:8: count must be a whole number/);
  bad(
    full.replace("nested: {a: 1, b: c}", "nested: {a: 1}"),
    /f\.yml:7:9: nested lacks the required key 'b'/,
  );
  bad(full.replace("target: null", "target: {extra: x}"), /f\.yml:8:9: target lacks the required key 'url'/);
  bad(full + "more: 1\n", /f\.yml:9:1: unknown key 'more' \(known: mode, name/);
  bad(
    full.replace("tags: []", "tags: [1]"),
    /f\.yml:5:8: tags\[0\] must be a string; YAML reads it as a number/,
  );
  bad(
    full.replace("mode: push", "mode: &m push").replace("name: abc", "name: *m"),
    /f\.yml:2:7: name: YAML aliases/,
  );
});

Deno.test("partial: override sections give any subset of mergeable objects, never of nullable ones", () => {
  const over = { ...sample, partial: true } as const;
  assert.deepEqual(check("nested: {b: z}\n", over), { nested: { b: "z" } });
  assert.throws(
    () => check("nested: {b: z}\n", sample),
    /f\.yml:1:9: nested lacks the required key 'a'/,
  );
  // A nullable object replaces the default whole: it must be complete even in an override.
  assert.throws(() => check("target: {extra: x}\n", over), /target lacks the required key 'url'/);
});

Deno.test("strings are YAML strings: numbers, .inf, booleans and null are errors naming the line", () => {
  const s = { kind: "object", fields: { p: { kind: "string", secret: true } } } as const satisfies Schema;
  for (
    const [value, reads] of [["012345678", "a number"], [".inf", "a number"], ["yes", ""], [
      "true",
      "true/false",
    ], ["~", "null"]]
  ) {
    if (reads === "") {
      assert.deepEqual(check(`p: ${value}\n`, s), { p: value }, "YAML 1.2 reads yes as a string");
      continue;
    }
    assert.throws(() => check(`\np: ${value}\n`, s), (e: Error) => {
      assert.match(e.message, new RegExp(`^f\\.yml:2:4: p must be a string; YAML reads it as ${reads}`));
      return true;
    });
  }
  assert.deepEqual(check(`p: "012345678"\n`, s), { p: "012345678" }, "quoted, the leading zero stays");
});

Deno.test("secret values are never echoed by enum, pattern or check errors", () => {
  const s = {
    kind: "object",
    fields: {
      a: { kind: "string", secret: true, enum: ["x"] },
      b: { kind: "string", secret: true, pattern: /^x$/ },
      c: { kind: "string", secret: true, check: () => "is bad" },
    },
    required: [],
  } as const satisfies Schema;
  for (const k of ["a", "b", "c"]) {
    assert.throws(() => check(`${k}: hunter2hunter2\n`, s), (e: Error) => {
      assert.match(e.message, /^f\.yml:1:4: /);
      assert.ok(!e.message.includes("hunter2"), e.message);
      return true;
    });
  }
});

Deno.test("map keys are checked against their schema, at the key's position", () => {
  const s = {
    kind: "map",
    key: { kind: "string", pattern: /^[a-z]+$/, hint: "a name" },
    of: { kind: "int" },
  } as const satisfies Schema;
  assert.deepEqual(check("ab: 1\n", s), { ab: 1 });
  assert.throws(() => check("ab: 1\n-x: 2\n", s), /f\.yml:2:1: the file key '-x' is not a name/);
  const free = { kind: "map", of: { kind: "int" } } as const satisfies Schema;
  assert.throws(() => check("a: 1\n__proto__: 2\n", free), /f\.yml:2:1: '__proto__' is not allowed as a key/);
});
