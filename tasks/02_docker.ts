/** `deno task docker`: the docker step alone on the selected hosts (facts are gathered first). */
import { runStep } from "../lib/fleet/runner.ts";
import { dockerStep } from "../lib/steps/docker.ts";

if (import.meta.main) await runStep(dockerStep);
