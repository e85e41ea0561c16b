import { main } from "../lib/runner.ts";
import { deploySteps } from "./steps.ts";

if (import.meta.main) await main("deploy", deploySteps);
