import { main } from "../lib/fleet/runner.ts";
import { deploySteps } from "../lib/steps/mod.ts";

if (import.meta.main) await main("deploy", deploySteps);
