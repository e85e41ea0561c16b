/** `deno task firewall`: the firewall step alone on the selected hosts (facts are gathered first). */
import { runStep } from "../lib/fleet/runner.ts";
import { firewallStep } from "../lib/steps/firewall.ts";

if (import.meta.main) await runStep(firewallStep);
