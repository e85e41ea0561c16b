/** `deno task uninstall [--purge]`: removes what deploy made (see lib/steps/uninstall.ts). */
import { main } from "../lib/fleet/runner.ts";
import { uninstallSteps } from "../lib/steps/uninstall.ts";

// --purge is this task's own flag; the rest are the shared ones.
const purge = Deno.args.includes("--purge");
const args = Deno.args.filter((a) => a !== "--purge");

if (import.meta.main) await main(purge ? "uninstall --purge" : "uninstall", uninstallSteps(purge), args);
