/** `deno task prometheus`: the prometheus step alone on the selected hosts (facts are gathered first). */
import { runStep } from "../lib/engine/runner.ts";
import { prometheusStep } from "../lib/steps/prometheus.ts";

if (import.meta.main) await runStep(prometheusStep);
