/** `deno task lab up [--hosts N] | down | status`: the lab of real hosts on this machine. */
import { labCli } from "../lib/lab/cli.ts";

if (import.meta.main) {
  try {
    await labCli(Deno.args);
  } catch (e) {
    console.error(`lab: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
