/**
 * `deno task prometheus`: the prometheus step on the selected hosts (facts are gathered first), after
 * the account step: the system user it runs as must exist.
 */
import { main } from "../lib/fleet/runner.ts";
import { prometheusStep } from "../lib/steps/prometheus.ts";
import { serviceAccountStep } from "../lib/steps/service_account.ts";

if (import.meta.main) await main(prometheusStep.id, [serviceAccountStep, prometheusStep]);
