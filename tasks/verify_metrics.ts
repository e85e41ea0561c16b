/** `deno task verify-metrics`: proves, per host, that the scoreboard reaches Prometheus and its endpoint. */
import { verifyMetrics } from "../lib/verify/task.ts";

if (import.meta.main) Deno.exit(await verifyMetrics(Deno.args));
