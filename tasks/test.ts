/**
 * `deno task test`: the whole suite, lab-backed tests included, on a fresh Debian machine too:
 * installs the controller's tools when missing, then runs `deno test -A` (extra args passed on).
 */
import { ensureControllerTools } from "../lib/lab/controller_tools.ts";

if (import.meta.main) {
  await ensureControllerTools();
  // Only tests/lab/browser_test.ts needs a browser; it is skipped, saying why, when this fails.
  await ensureControllerTools(["chromium"]).catch((e) =>
    console.error(`chromium could not be installed (${e.message}): the browser test will be skipped`)
  );
  const child = new Deno.Command(Deno.execPath(), { args: ["test", "-A", ...Deno.args] }).spawn();
  Deno.exit((await child.status).code);
}
