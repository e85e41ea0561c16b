import assert from "node:assert/strict";
import $ from "dax";
import { quote } from "../../lib/base/quote.ts";
import { HOSTILE } from "../helpers/hostile.ts";

Deno.test("quoted values come back unchanged from a real POSIX shell (as the remote side parses)", async () => {
  for (const v of HOSTILE) {
    const out = await $`sh -c ${`printf %s ${quote(v)}`}`.text();
    assert.equal(out, v.replace(/\n+$/, ""), `value ${JSON.stringify(v)}`);
  }
  const args = await $`sh -c ${`for a in ${HOSTILE.map(quote).join(" ")}; do printf '[%s]' "$a"; done`}`
    .text();
  assert.equal(args, HOSTILE.map((v) => `[${v}]`).join(""));
});

Deno.test("plain words are left bare, NUL is refused", () => {
  assert.equal(quote("/srv/isa/prometheus.yml"), "/srv/isa/prometheus.yml");
  assert.equal(quote("a b"), "'a b'");
  assert.equal(quote("it's"), `'it'\\''s'`);
  assert.throws(() => quote("a\0b"), /NUL/);
});
