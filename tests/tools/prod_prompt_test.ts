/**
 * The production prompt on a real terminal (util-linux `script` gives the CLI a pseudo-terminal): an
 * inventory with `deployment: prod` passed by --inventory is confirmed exactly like --prod.
 */
import assert from "node:assert/strict";
import $ from "dax";
import { join } from "node:path";
import { projectRoot } from "../../lib/inventory/load.ts";
import { tripwire } from "../helpers/tripwire.ts";

/** Runs the deploy task on a pseudo-terminal, typing `answer`. */
async function onTerminal(args: string[], answer: string): Promise<{ code: number; out: string }> {
  const command = ["deno", "run", "-A", join(projectRoot, "tasks", "deploy.ts"), ...args]
    .map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const r = await $`script -qec ${command} /dev/null`.cwd(projectRoot).env({ NO_COLOR: "1" })
    .stdinText(answer).stdout("piped").stderr("piped").noThrow();
  return { code: r.code, out: r.stdout + r.stderr };
}

Deno.test({
  name: "a prod inventory given by --inventory asks on a terminal; 'no' changes nothing and contacts no host",
  fn: async () => {
    const wire = tripwire();
    const dir = await Deno.makeTempDir({ prefix: "isa-prompt-" });
    try {
      const file = join(dir, "prodlike.yml");
      const port = wire.port;
      await Deno.writeTextFile(
        file,
        `deployment: prod\nhosts:\n  web1:\n    address: 127.0.0.77\n    port: ${port}\n`,
      );
      const no = await onTerminal(["--inventory", file], "no\n");
      assert.equal(no.code, 1, no.out);
      assert.match(no.out, /deploy on PRODUCTION hosts web1\? Type 'yes' to go on:/);
      assert.match(no.out, /not confirmed; nothing was changed/);
      const list = await onTerminal(["--inventory", file, "--list-hosts"], "");
      assert.equal(list.code, 0, list.out);
      assert.doesNotMatch(list.out, /PRODUCTION/);
      assert.equal(wire.touched(), false, "no host was contacted");
    } finally {
      wire.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
