/** `deno task traefik`: the traefik step alone on the selected hosts (facts are gathered first). */
import { runStep } from "../lib/engine/runner.ts";
import { traefikStep } from "../lib/steps/traefik.ts";

if (import.meta.main) await runStep(traefikStep);
