import { buildDashboardModel } from "./dashboard_model.ts";

/** Which inventory a Grafana object belongs to. */
export type Deployment = "qual" | "prod";

/** A Grafana dashboard model (only the fields this tool reads are typed). */
export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: TemplateVariable[] };
  [key: string]: unknown;
}

/** A dashboard panel; rows nest their collapsed panels in `panels`. */
export interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string } | null;
  targets?: PanelTarget[];
  panels?: Panel[];
  fieldConfig?: { defaults?: Record<string, unknown>; overrides?: FieldOverride[] };
  [key: string]: unknown;
}

/** One query of a panel. */
export interface PanelTarget {
  refId: string;
  expr?: string;
  instant?: boolean;
  datasource?: { type?: string; uid?: string } | null;
  [key: string]: unknown;
}

/** A field override (matcher and properties). */
export interface FieldOverride {
  matcher: { id: string; options?: unknown };
  properties: { id: string; value?: unknown }[];
}

/** A dashboard variable (`templating.list[]`). */
export interface TemplateVariable {
  name: string;
  type: string;
  query?: unknown;
  definition?: string;
  regex?: string;
  datasource?: { type?: string; uid?: string } | null;
  [key: string]: unknown;
}

/** Panel types Grafana removed or deprecated (Angular); the dashboard must use none of them. */
export const REMOVED_PANEL_TYPES = [
  "graph",
  "singlestat",
  "grafana-singlestat-panel",
  "table-old",
  "grafana-piechart-panel",
  "grafana-worldmap-panel",
] as const;

/** Default dashboard uid per deployment: users open `/d/isaprod/isaprod` and `/d/isaqal/isaqal`. */
export function defaultDashboardUid(deployment: Deployment): string {
  return deployment === "prod" ? "isaprod" : "isaqal";
}

/** Name prefix of a deployment's data sources, shared with the dashboard's datasource filter. */
export function datasourceNamePrefix(deployment: Deployment): string {
  return `ISA ${deployment} `;
}

/**
 * The dashboard of a deployment, built with Grafana's SDK (lib/grafana/dashboard_model.ts): its uid, a
 * title equal to the uid, and the data source variable listing this deployment's data sources. Plain
 * JSON data (no `undefined`), as it is sent to Grafana and compared with what Grafana holds.
 */
export function renderDashboard(deployment: Deployment, opts: { uid?: string } = {}): Dashboard {
  const uid = opts.uid || defaultDashboardUid(deployment);
  // The title is the uid so that Grafana's slug gives the documented URL /d/<uid>/<uid>.
  const model = buildDashboardModel(uid, `/^${escapeRegex(datasourceNamePrefix(deployment))}/`);
  return JSON.parse(JSON.stringify(model)) as Dashboard;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Every panel, rows' nested panels included, in document order. */
export function allPanels(dashboard: Pick<Dashboard, "panels">): Panel[] {
  const out: Panel[] = [];
  const walk = (ps: Panel[] | undefined) => {
    for (const p of ps ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

/** One PromQL expression of the dashboard, variables substituted. */
export interface DashboardQuery {
  /** Panel title (or `variable <name>`) and refId, for messages. */
  where: string;
  /** The expression as written in the dashboard. */
  raw: string;
  /** The expression with variables substituted, ready for /api/v1/query. */
  expr: string;
}

/** Grafana's built-in variables, with values suited to a Prometheus scraping every few seconds. */
const BUILTIN_DEFAULTS: Record<string, string> = {
  __rate_interval: "1m",
  __interval: "15s",
  __range: "1h",
  __range_s: "3600",
};

/**
 * Every PromQL expression of the dashboard (panel targets and `label_values()` variable queries),
 * with `$var`, `${var}` and `[[var]]` replaced from `vars` (then Grafana built-in defaults).
 * Throws on a variable it cannot resolve, so a new variable cannot slip past the query test.
 */
export function dashboardQueries(dashboard: Dashboard, vars: Record<string, string>): DashboardQuery[] {
  const values = { ...BUILTIN_DEFAULTS, ...vars };
  const subst = (raw: string, where: string) =>
    raw.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (m, a, b, c) => {
      const name = a ?? b ?? c;
      const v = values[name];
      if (v === undefined) throw new Error(`${where}: no value for variable ${m} in ${raw}`);
      return v;
    });
  const out: DashboardQuery[] = [];
  for (const v of dashboard.templating.list) {
    if (v.type !== "query") continue;
    const q = typeof v.query === "string" ? v.query : (v.query as { query?: string } | undefined)?.query;
    if (!q) continue;
    const where = `variable ${v.name}`;
    // label_values(selector, label) is a Grafana function: the selector is the PromQL part.
    const lv = q.match(/^\s*label_values\(\s*(.+?)\s*,\s*\w+\s*\)\s*$/);
    const raw = lv ? lv[1] : q;
    out.push({ where, raw, expr: subst(raw, where) });
  }
  for (const p of allPanels(dashboard)) {
    for (const t of p.targets ?? []) {
      if (typeof t.expr !== "string" || t.expr.trim() === "") continue;
      const where = `panel "${p.title ?? p.id}" ${t.refId}`;
      out.push({ where, raw: t.expr, expr: subst(t.expr, where) });
    }
  }
  return out;
}
