/**
 * `deno task test`: the whole suite, lab-backed tests included, on a fresh Debian machine too:
 * installs what the lab, the tools tests and the browser test need (lib/lab/controller_tools.ts), then
 * runs `deno test -A` (extra args passed on) under a watchdog that bounds each test file and the whole
 * run (tests/helpers/suite_watch.ts). A tool that can't be installed stops the run here, naming it: no
 * test is skipped for a missing tool.
 */
import { ensureControllerTools } from "../lib/lab/controller_tools.ts";
import { watchedTest } from "../tests/helpers/suite_watch.ts";

if (import.meta.main) {
  await ensureControllerTools(["lab", "tools", "browser"]);
  Deno.exit(await watchedTest(["-A", ...Deno.args]));
}
