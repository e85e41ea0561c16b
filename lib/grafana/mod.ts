/** Grafana publication: the dashboard (built with Grafana's SDK), data sources, API requests and the executor. */
export * from "./dashboard.ts";
export * from "./api.ts";
export * from "./publish.ts";
