/** Grafana publication: dashboard template, data sources, API requests and the executor. */
export * from "./dashboard.ts";
export * from "./api.ts";
export * from "./publish.ts";
