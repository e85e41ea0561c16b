/** `deno task apache`: the apache step alone on the selected hosts (facts are gathered first). */
import { runStep } from "../lib/fleet/runner.ts";
import { apacheStep } from "../lib/steps/apache.ts";

if (import.meta.main) await runStep(apacheStep);
