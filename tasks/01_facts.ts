/** `deno task facts`: the facts step alone on the selected hosts (facts are gathered first). */
import { runStep } from "../lib/engine/runner.ts";
import { factsStep } from "../lib/steps/facts.ts";

if (import.meta.main) await runStep(factsStep);
