import { main } from "../lib/engine/runner.ts";
import {
  purgeStep,
  removeApacheBlockStep,
  removeContainersStep,
  removeFirewallStep,
} from "../lib/steps/uninstall.ts";

// --purge is this task's own flag; the rest are the shared ones.
const purge = Deno.args.includes("--purge");
const args = Deno.args.filter((a) => a !== "--purge");
const steps = [
  removeContainersStep,
  removeApacheBlockStep,
  removeFirewallStep,
  ...(purge ? [purgeStep] : []),
];

if (import.meta.main) await main(purge ? "uninstall --purge" : "uninstall", steps, args);
