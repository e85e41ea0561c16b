/**
 * `deno task traefik`: the traefik step on the selected hosts (facts are gathered first), after the
 * account step: the system user it runs as must exist.
 */
import { main } from "../lib/fleet/runner.ts";
import { serviceAccountStep } from "../lib/steps/service_account.ts";
import { traefikStep } from "../lib/steps/traefik.ts";

if (import.meta.main) await main(traefikStep.id, [serviceAccountStep, traefikStep]);
