import {
  type ApiRequest,
  createDatasourceRequest,
  dashboardDiff,
  datasourceDiff,
  getDashboardRequest,
  getDatasourceByNameRequest,
  getDatasourceRequest,
  getOrgRequest,
  type GrafanaPlan,
  redactRequest,
  saveDashboardRequest,
  updateDatasourceRequest,
} from "./api.ts";

/** A Grafana failure explained for the operator (never carries the token or a password). */
export class GrafanaError extends Error {
  override name = "GrafanaError";
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

/** What publishing did (or, dry run, would do) to one object. */
export interface PublishAction {
  kind: "datasource" | "dashboard";
  uid: string;
  name: string;
  action: "create" | "update" | "unchanged";
  /** Differing fields, for an update. */
  fields: string[];
}

/** Options of `publish`. */
export interface PublishOptions {
  /** Only read: report what would change, send no POST or PUT. */
  dryRun?: boolean;
  /** Receives one line per request, already redacted. */
  log?: (line: string) => void;
  /** Receives each request as `redactRequest` shows it and Grafana's status (for `-v`). */
  trace?: (request: ApiRequest, status: number) => void;
}

type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

interface Answer {
  status: number;
  json: unknown;
}

async function call(
  plan: GrafanaPlan,
  fetchFn: FetchFn,
  req: ApiRequest,
  opts: PublishOptions,
): Promise<Answer> {
  const url = plan.url + req.path;
  opts.log?.(`${req.method} ${redactRequest(req).path}`);
  let res: Response;
  try {
    res = await fetchFn(url, {
      method: req.method,
      headers: req.headers,
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      redirect: "manual",
    });
  } catch (e) {
    throw new GrafanaError(`Grafana unreachable at ${plan.url}: ${(e as Error).message}`);
  }
  opts.trace?.(redactRequest(req), res.status);
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    // Grafana's API always answers JSON; HTML means a wrong URL, a proxy or a login page.
    if (res.ok || (res.status >= 300 && res.status < 400)) {
      throw new GrafanaError(
        `${req.method} ${req.path} on ${plan.url} answered ${res.status} with no JSON: is grafana.url the Grafana root?`,
        res.status,
      );
    }
  }
  if (res.status >= 300 && res.status < 400) {
    throw new GrafanaError(
      `${req.method} ${req.path} on ${plan.url} redirects (${res.status}) to ${
        res.headers.get("location")
      }: ` +
        "set grafana.url to the final Grafana URL",
      res.status,
    );
  }
  if (res.status === 401) {
    throw new GrafanaError(
      `Grafana at ${plan.url} refused the token (401 on ${req.method} ${req.path}): bad token, expired or revoked; ` +
        "check grafana.token in the secrets",
      401,
    );
  }
  if (res.status === 403) {
    throw new GrafanaError(
      `the Grafana token may not ${req.method} ${req.path} (403): give its service account the Admin role in the organisation`,
      403,
    );
  }
  return { status: res.status, json };
}

function failure(req: ApiRequest, a: Answer): GrafanaError {
  const msg = (a.json as { message?: unknown } | undefined)?.message;
  return new GrafanaError(
    `Grafana ${req.method} ${req.path} failed with ${a.status}${
      typeof msg === "string" ? `: ${msg.slice(0, 300)}` : ""
    }`,
    a.status,
  );
}

/**
 * Publishes the plan: checks the organisation, then for each data source and the dashboard reads
 * Grafana's copy and creates or updates it only when it differs. A second run sends only GETs.
 * `fetchFn` is injectable for tests; the default is the global fetch.
 */
export async function publish(
  plan: GrafanaPlan,
  fetchFn: FetchFn = fetch,
  opts: PublishOptions = {},
): Promise<PublishAction[]> {
  // Long on purpose: one request sequence (organisation, data sources, dashboard), read top to bottom.
  const actions: PublishAction[] = [];
  const orgReq = getOrgRequest(plan.token);
  const org = await call(plan, fetchFn, orgReq, opts);
  if (org.status !== 200) throw failure(orgReq, org);
  const orgName = (org.json as { name?: unknown } | undefined)?.name;
  if (orgName !== plan.org) {
    throw new GrafanaError(
      `organisation "${plan.org}" not found for this token: it belongs to "${String(orgName)}" ` +
        "(use a service account token of the right organisation, or fix grafana.org)",
    );
  }

  for (const ds of plan.datasources) {
    const getReq = getDatasourceRequest(plan.token, ds.uid);
    const got = await call(plan, fetchFn, getReq, opts);
    let action: PublishAction;
    if (got.status === 404) {
      action = { kind: "datasource", uid: ds.uid, name: ds.name, action: "create", fields: [] };
    } else if (got.status === 200) {
      const fields = datasourceDiff(got.json as Record<string, unknown>, ds);
      action = {
        kind: "datasource",
        uid: ds.uid,
        name: ds.name,
        action: fields.length ? "update" : "unchanged",
        fields,
      };
    } else {
      throw failure(getReq, got);
    }
    actions.push(action);
    if (opts.dryRun || action.action === "unchanged") continue;
    const req = action.action === "create"
      ? createDatasourceRequest(plan.token, ds)
      : updateDatasourceRequest(plan.token, ds);
    const res = await call(plan, fetchFn, req, opts);
    if (res.status === 409 && action.action === "create") {
      const other = await call(plan, fetchFn, getDatasourceByNameRequest(plan.token, ds.name), opts);
      const otherUid = (other.json as { uid?: unknown } | undefined)?.uid;
      throw new GrafanaError(
        `a data source named "${ds.name}" already exists with uid ${String(otherUid)}, not ${ds.uid}: ` +
          "delete or rename it in Grafana, then run again",
        409,
      );
    }
    if (res.status !== 200) throw failure(req, res);
  }

  const dash = plan.dashboard;
  const getReq = getDashboardRequest(plan.token, dash.model.uid);
  const got = await call(plan, fetchFn, getReq, opts);
  let action: PublishAction;
  if (got.status === 404) {
    action = { kind: "dashboard", uid: dash.model.uid, name: dash.model.title, action: "create", fields: [] };
  } else if (got.status === 200) {
    const fields = dashboardDiff(
      got.json as Record<string, Record<string, unknown>>,
      dash.model,
      dash.folderUid,
    );
    action = {
      kind: "dashboard",
      uid: dash.model.uid,
      name: dash.model.title,
      action: fields.length ? "update" : "unchanged",
      fields,
    };
  } else {
    throw failure(getReq, got);
  }
  actions.push(action);
  if (!opts.dryRun && action.action !== "unchanged") {
    const req = saveDashboardRequest(plan.token, dash.model, dash.folderUid);
    const res = await call(plan, fetchFn, req, opts);
    if (res.status !== 200) throw failure(req, res);
  }
  return actions;
}
