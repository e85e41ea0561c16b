/** `deno task facts`: first contact: everything the facts decide, with a reachability check, then the prerequisites. */
import { runStep } from "../lib/fleet/runner.ts";
import { factsReportStep } from "../lib/steps/facts.ts";

if (import.meta.main) await runStep(factsReportStep);
