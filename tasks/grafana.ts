import { grafanaTask } from "../lib/grafana/task.ts";

/** `deno task grafana`: publishes the data sources and the dashboard to the hosted Grafana. */
if (import.meta.main) Deno.exit(await grafanaTask(Deno.args));
