/**
 * Links that open Prometheus' UI straight onto a graph. Debian's Prometheus 2.42 (the lab's) serves the
 * classic UI under /classic/ (`/` redirects to /classic/graph); its graph page reads `g0.expr`,
 * `g0.tab` (0 = graph, 1 = table) and `g0.range_input` from the query string
 * (web/ui/static/js/graph/index.js, QueryParamHelper, as shipped in prometheus_2.42.0+ds-5+deb12u1).
 * Prometheus 3's UI (the official image) takes the same parameters on /query, with `g0.tab=graph`.
 */

/** The PromQL of a host's scoreboard: one series per worker state. */
export function scoreboardExpr(host: string): string {
  return `apache_scoreboard{instance="${host}"}`;
}

/** URL of a graph of `expr` over `range` on the UI at `base` (no trailing slash). */
export function graphUrl(base: string, expr: string, ui: "classic" | "v3", range = "15m"): string {
  const q = ui === "classic"
    ? `g0.expr=${encodeURIComponent(expr)}&g0.tab=0&g0.range_input=${range}`
    : `g0.expr=${encodeURIComponent(expr)}&g0.tab=graph&g0.range_input=${range}`;
  return `${base}${ui === "classic" ? "/classic/graph" : "/query"}?${q}`;
}
