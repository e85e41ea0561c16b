import assert from "node:assert/strict";
import { join } from "node:path";
import type { RunOptions } from "../../lib/engine/cli.ts";
import { confirmProd } from "../../lib/fleet/selection.ts";
import { loadInventory } from "../../lib/inventory/load.ts";
import type { Host } from "../../lib/inventory/host.ts";

const base: RunOptions = {
  prod: false,
  inventory: undefined,
  limit: undefined,
  check: false,
  diff: false,
  listHosts: false,
  json: false,
  yes: false,
  forks: 10,
  verbose: false,
};

async function hostsOf(deployment: string): Promise<Host[]> {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "inv.yml");
    await Deno.writeTextFile(file, `deployment: ${deployment}\nhosts: {web1: , web2: }\n`);
    return (await loadInventory(file)).hosts;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A terminal that records the questions and answers `answer`. */
function terminal(answer: string | null, isTerminal = true) {
  const asked: string[] = [];
  return {
    asked,
    isTerminal: () => isTerminal,
    ask: (q: string) => {
      asked.push(q);
      return answer;
    },
  };
}

Deno.test("prod confirmation: asked for a prod inventory however it was chosen", async () => {
  const prod = await hostsOf("prod");
  for (const opts of [{ ...base, prod: true }, { ...base, inventory: "/x/prod-like.yml" }]) {
    const no = terminal("no");
    assert.throws(() => confirmProd(prod, opts, "deploy", no), /not confirmed; nothing was changed/);
    assert.deepEqual(no.asked, ["deploy on PRODUCTION hosts web1, web2? Type 'yes' to go on:"]);
    const eof = terminal(null);
    assert.throws(() => confirmProd(prod, opts, "deploy", eof), /not confirmed/);
    const yes = terminal(" yes ");
    confirmProd(prod, opts, "deploy", yes);
    assert.equal(yes.asked.length, 1);
  }
});

Deno.test("prod confirmation: not asked for qual, --yes, --check, --list-hosts or without a terminal", async () => {
  const prod = await hostsOf("prod");
  const qual = await hostsOf("qual");
  const cases: [Host[], RunOptions, boolean][] = [
    [qual, base, true],
    [prod, { ...base, yes: true }, true],
    [prod, { ...base, check: true }, true],
    [prod, { ...base, listHosts: true }, true],
    [prod, base, false],
  ];
  for (const [hosts, opts, isTerminal] of cases) {
    const t = terminal("no", isTerminal);
    confirmProd(hosts, opts, "deploy", t);
    assert.deepEqual(t.asked, [], JSON.stringify(opts));
  }
});
