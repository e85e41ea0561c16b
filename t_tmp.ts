import { buildDashboardModel } from "./lib/grafana/dashboard_model.ts";
import { renderDashboard } from "./lib/grafana/dashboard.ts";
const a = renderDashboard("qual");
const b = JSON.parse(JSON.stringify(buildDashboardModel("isaqal", a.templating.list[0].regex!)));
Deno.writeTextFileSync("/tmp/old.json", JSON.stringify(a, null, 1));
Deno.writeTextFileSync("/tmp/new.json", JSON.stringify(b, null, 1));
