/** `deno task exporter`: the exporter step alone on the selected hosts (facts are gathered first). */
import { runStep } from "../lib/fleet/runner.ts";
import { exporterStep } from "../lib/steps/exporter.ts";

if (import.meta.main) await runStep(exporterStep);
