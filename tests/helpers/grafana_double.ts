/**
 * A test double of the few Grafana HTTP API endpoints `publish` uses (no Grafana can run here), on
 * 127.0.0.1: it checks the bearer token, keeps data sources and dashboards in memory, adds
 * server-managed fields and, like Grafana, never returns secureJsonData (it keeps the values sent in
 * `secure`, where Grafana would keep them encrypted, so tests can check what was sent).
 * Extracted from tests/grafana_test.ts, which may switch to it.
 */

/** One request the double received. */
export interface RecordedRequest {
  method: string;
  path: string;
  body?: unknown;
}

/** A running double. */
export interface GrafanaDouble {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Stored data sources by uid, as GET returns them. */
  datasources: Map<string, Record<string, unknown>>;
  /** Last secureJsonData sent per data source uid (Grafana stores it encrypted and never returns it). */
  secure: Map<string, Record<string, string>>;
  /** Stored dashboards by uid, as GET returns them. */
  dashboards: Map<string, { dashboard: Record<string, unknown>; meta: Record<string, unknown> }>;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  close: () => Promise<void>;
}

/** Starts a double that accepts `token` and belongs to organisation `org`. */
export function fakeGrafana(opts: { token: string; org: string }): GrafanaDouble {
  const datasources = new Map<string, Record<string, unknown>>();
  const secure = new Map<string, Record<string, string>>();
  const dashboards = new Map<string, { dashboard: Record<string, unknown>; meta: Record<string, unknown> }>();
  const requests: RecordedRequest[] = [];
  let nextId = 1;
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  const store = (body: Record<string, unknown>, old?: Record<string, unknown>) => {
    const { secureJsonData, ...rest } = body as { secureJsonData?: Record<string, string> };
    const flags = { ...(old?.secureJsonFields as object ?? {}) } as Record<string, boolean>;
    for (const k of Object.keys(secureJsonData ?? {})) flags[k] = true;
    const ds: Record<string, unknown> = {
      id: old?.id ?? nextId++,
      orgId: 1,
      typeLogoUrl: "public/img/prometheus.svg",
      user: "",
      database: "",
      withCredentials: false,
      readOnly: false,
      ...rest,
      secureJsonFields: flags,
      version: ((old?.version as number) ?? 0) + 1,
    };
    datasources.set(String(ds.uid), ds);
    secure.set(String(ds.uid), { ...secure.get(String(ds.uid)), ...secureJsonData });
    return ds;
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const body = req.body ? await req.json() : undefined;
    requests.push({ method: req.method, path, body });
    if (req.headers.get("authorization") !== `Bearer ${opts.token}`) {
      return json(401, { message: "invalid API key" });
    }
    let m: RegExpMatchArray | null;
    if (req.method === "GET" && path === "/api/org") return json(200, { id: 1, name: opts.org });
    if ((m = path.match(/^\/api\/datasources\/uid\/([^/]+)$/))) {
      const ds = datasources.get(decodeURIComponent(m[1]));
      if (req.method === "GET") return ds ? json(200, ds) : json(404, { message: "Data source not found" });
      if (req.method === "PUT") {
        if (!ds) return json(404, { message: "Data source not found" });
        const saved = store(body, ds);
        return json(200, {
          datasource: saved,
          id: saved.id,
          message: "Datasource updated",
          name: saved.name,
        });
      }
    }
    if ((m = path.match(/^\/api\/datasources\/name\/([^/]+)$/)) && req.method === "GET") {
      const ds = [...datasources.values()].find((d) => d.name === decodeURIComponent(m![1]));
      return ds ? json(200, ds) : json(404, { message: "Data source not found" });
    }
    if (path === "/api/datasources" && req.method === "POST") {
      if ([...datasources.values()].some((d) => d.name === body.name || d.uid === body.uid)) {
        return json(409, { message: "data source with the same name already exists" });
      }
      const saved = store(body);
      return json(200, { datasource: saved, id: saved.id, message: "Datasource added", name: saved.name });
    }
    if ((m = path.match(/^\/api\/dashboards\/uid\/([^/]+)$/)) && req.method === "GET") {
      const d = dashboards.get(m[1]);
      return d ? json(200, d) : json(404, { message: "Dashboard not found" });
    }
    if (path === "/api/dashboards/db" && req.method === "POST") {
      const uid = body.dashboard.uid as string;
      const old = dashboards.get(uid);
      if (old && !body.overwrite) return json(412, { message: "version-mismatch" });
      const dashboard = {
        ...body.dashboard,
        id: old?.dashboard.id ?? nextId++,
        version: ((old?.dashboard.version as number) ?? 0) + 1,
      };
      dashboards.set(uid, { dashboard, meta: { folderUid: body.folderUid ?? "", slug: uid } });
      return json(200, { id: dashboard.id, uid, status: "success", version: dashboard.version });
    }
    return json(404, { message: "Not found" });
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  return { url, datasources, secure, dashboards, requests, close: () => server.shutdown() };
}
