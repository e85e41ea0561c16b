import { createHmac } from "node:crypto";
import type { Credential, Secrets } from "../inventory/secrets.ts";
import type { GrafanaTarget, RemoteWrite } from "../inventory/vars.ts";
import { type Dashboard, datasourceNamePrefix, type Deployment, renderDashboard } from "./dashboard.ts";
import { centralQueryUrl } from "../inventory/remote_write.ts";

/** Where Grafana queries the central store (in inventory/, as `top` reads it too without Grafana's SDK). */
export { centralQueryUrl };

/** One Grafana HTTP API call, relative to the Grafana base URL. */
export interface ApiRequest {
  method: "GET" | "POST" | "PUT";
  /** Path below the Grafana URL, starting with `/api/`. */
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A Prometheus data source as this tool wants it in Grafana. */
export interface DatasourceModel {
  uid: string;
  name: string;
  type: "prometheus";
  access: "proxy";
  url: string;
  isDefault: boolean;
  basicAuth: boolean;
  basicAuthUser: string;
  jsonData: Record<string, unknown>;
  /** Write-only in Grafana: never returned by GET, so `jsonData.isaSecureHash` stands for it. */
  secureJsonData: Record<string, string>;
}

/** One host's Prometheus, as Grafana reaches it through the HTTPS frontend. */
export interface GrafanaHostInput {
  /** Inventory name, also the `instance` label. */
  name: string;
  /** Name on the certificate; Grafana verifies the certificate against it (`serverName`). */
  fqdn: string;
  /**
   * Host part of the data source URL (the inventory's `public_address`); the fqdn when unset. The
   * certificate names both, so Grafana may connect by address and still verify by name.
   */
  address?: string;
  httpsPort: number;
  /** PEM of the host's self-signed frontend certificate, trusted by Grafana as the CA. */
  caCertPem: string;
  /** Prometheus scrape interval (e.g. `15s`); Grafana derives `$__rate_interval` from it. */
  scrapeInterval?: string;
}

/** Everything needed to build the Grafana publication of one deployment. */
export interface PlanInput {
  deployment: Deployment;
  grafana: GrafanaTarget;
  /** Grafana service account token (secrets `grafana.token`). */
  token: string;
  hosts: GrafanaHostInput[];
  /** Basic auth user of the frontends (the first of secrets `frontend.credentials`). */
  frontend: Credential;
  /** Optional central store; one more data source when set. */
  remoteWrite?: RemoteWrite | null;
  remoteWriteSecrets?: Secrets["remote_write"];
  /** Folder of the dashboard; the General folder when unset. */
  folderUid?: string;
}

/** What to publish to one Grafana: data sources then the dashboard. */
export interface GrafanaPlan {
  /** Base URL without trailing slash, e.g. `https://grafana.example.org`. */
  url: string;
  token: string;
  /** Organisation the token must belong to. */
  org: string;
  datasources: DatasourceModel[];
  dashboard: { model: Dashboard; folderUid?: string };
}

/** jsonData key holding the keyed hash of the secure fields. */
export const SECURE_HASH_KEY = "isaSecureHash";

/** Stable uid of a host's data source. */
export function hostDatasourceUid(host: string): string {
  return `isa-${host}`;
}

/** Stable uid of the central store's data source of a deployment. */
export function centralDatasourceUid(deployment: Deployment): string {
  return `isa-central-${deployment}`;
}

/**
 * HMAC-SHA256 of the secure fields, keyed by the Grafana token.
 * jsonData is readable by every user who can query the data source, so a plain sha256 of a
 * password could be brute-forced offline; keyed by the token it cannot. A new token changes
 * every hash, which costs one update per data source.
 */
export function secureHash(secure: Record<string, string>, key: string): string {
  const canon = JSON.stringify(Object.keys(secure).sort().map((k) => [k, secure[k]]));
  return "hmac-sha256:" + createHmac("sha256", key).update(canon).digest("hex");
}

function withHash(
  ds: Omit<DatasourceModel, "jsonData"> & { jsonData: Record<string, unknown> },
  key: string,
): DatasourceModel {
  return { ...ds, jsonData: { ...ds.jsonData, [SECURE_HASH_KEY]: secureHash(ds.secureJsonData, key) } };
}

/** The data source of one host's Prometheus: basic auth, and its self-signed certificate as CA. */
export function hostDatasource(
  deployment: Deployment,
  host: GrafanaHostInput,
  frontend: Credential,
  token: string,
): DatasourceModel {
  if (!host.caCertPem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new Error(`${host.name}: the frontend CA certificate is not a PEM certificate`);
  }
  return withHash({
    uid: hostDatasourceUid(host.name),
    name: `${datasourceNamePrefix(deployment)}${host.name}`,
    type: "prometheus",
    access: "proxy",
    url: `https://${host.address || host.fqdn}:${host.httpsPort}`,
    isDefault: false,
    basicAuth: true,
    basicAuthUser: frontend.user,
    jsonData: {
      httpMethod: "POST",
      timeInterval: host.scrapeInterval ?? "15s",
      tlsAuth: false,
      tlsAuthWithCACert: true,
      tlsSkipVerify: false,
      // The certificate always names the fqdn, whatever address the URL uses.
      serverName: host.fqdn,
    },
    secureJsonData: { basicAuthPassword: frontend.pass, tlsCACert: host.caCertPem },
  }, token);
}

/** The data source of the central remote-write store, with its basic or bearer auth. */
export function centralDatasource(
  deployment: Deployment,
  rw: RemoteWrite,
  secrets: Secrets["remote_write"] | undefined,
  token: string,
): DatasourceModel {
  const base = {
    uid: centralDatasourceUid(deployment),
    name: `${datasourceNamePrefix(deployment)}central`,
    type: "prometheus" as const,
    access: "proxy" as const,
    url: centralQueryUrl(rw),
    isDefault: false,
    basicAuth: false,
    basicAuthUser: "",
    jsonData: { httpMethod: "POST", timeInterval: "15s" } as Record<string, unknown>,
    secureJsonData: {} as Record<string, string>,
  };
  if (rw.auth === "basic") {
    if (!secrets?.username || !secrets.password) {
      throw new Error("remote_write.auth is basic: secrets remote_write.username and password are required");
    }
    base.basicAuth = true;
    base.basicAuthUser = secrets.username;
    base.secureJsonData = { basicAuthPassword: secrets.password };
  } else if (rw.auth === "bearer") {
    if (!secrets?.bearer_token) {
      throw new Error("remote_write.auth is bearer: secrets remote_write.bearer_token is required");
    }
    base.jsonData.httpHeaderName1 = "Authorization";
    base.secureJsonData = { httpHeaderValue1: `Bearer ${secrets.bearer_token}` };
  }
  return withHash(base, token);
}

/** Builds what to publish for a deployment: one data source per host, the central one, the dashboard. */
export function buildPlan(input: PlanInput): GrafanaPlan {
  if (!input.token) throw new Error("no Grafana token: set grafana.token in the secrets");
  const names = new Set<string>();
  for (const h of input.hosts) {
    if (names.has(h.name)) throw new Error(`host ${h.name} is listed twice`);
    names.add(h.name);
  }
  const datasources = input.hosts.map((h) =>
    hostDatasource(input.deployment, h, input.frontend, input.token)
  );
  if (input.remoteWrite) {
    datasources.push(
      centralDatasource(input.deployment, input.remoteWrite, input.remoteWriteSecrets, input.token),
    );
  }
  const model = renderDashboard(input.deployment, { uid: input.grafana.dashboard_uid || undefined });
  return {
    url: input.grafana.url.replace(/\/+$/, ""),
    token: input.token,
    org: input.grafana.org,
    datasources,
    dashboard: { model, folderUid: input.folderUid },
  };
}

function headers(token: string, body: boolean): Record<string, string> {
  const h: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  if (body) h["Content-Type"] = "application/json";
  return h;
}

/** `GET /api/org`: the organisation the token belongs to. */
export function getOrgRequest(token: string): ApiRequest {
  return { method: "GET", path: "/api/org", headers: headers(token, false) };
}

/** `GET /api/datasources/uid/:uid`. */
export function getDatasourceRequest(token: string, uid: string): ApiRequest {
  return {
    method: "GET",
    path: `/api/datasources/uid/${encodeURIComponent(uid)}`,
    headers: headers(token, false),
  };
}

/** `GET /api/datasources/name/:name`, to explain a name clash with a data source of another uid. */
export function getDatasourceByNameRequest(token: string, name: string): ApiRequest {
  return {
    method: "GET",
    path: `/api/datasources/name/${encodeURIComponent(name)}`,
    headers: headers(token, false),
  };
}

/** `POST /api/datasources`: creates the data source with its uid. */
export function createDatasourceRequest(token: string, ds: DatasourceModel): ApiRequest {
  return { method: "POST", path: "/api/datasources", headers: headers(token, true), body: ds };
}

/** `PUT /api/datasources/uid/:uid`: replaces the data source, secure fields included. */
export function updateDatasourceRequest(token: string, ds: DatasourceModel): ApiRequest {
  return {
    method: "PUT",
    path: `/api/datasources/uid/${encodeURIComponent(ds.uid)}`,
    headers: headers(token, true),
    body: ds,
  };
}

/** `GET /api/dashboards/uid/:uid`. */
export function getDashboardRequest(token: string, uid: string): ApiRequest {
  return {
    method: "GET",
    path: `/api/dashboards/uid/${encodeURIComponent(uid)}`,
    headers: headers(token, false),
  };
}

/** `POST /api/dashboards/db` with `overwrite: true` (creates or replaces by uid). */
export function saveDashboardRequest(token: string, dashboard: Dashboard, folderUid?: string): ApiRequest {
  const body: Record<string, unknown> = {
    // id null: Grafana then matches the existing dashboard by uid.
    dashboard: { ...dashboard, id: null },
    overwrite: true,
    message: "published by isa-monitoring",
  };
  if (folderUid) body.folderUid = folderUid;
  return { method: "POST", path: "/api/dashboards/db", headers: headers(token, true), body };
}

const SECRET_KEY = /pass|secret|token|key|cert|httpHeaderValue/i;

function redactValue(v: unknown, parentSecure: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => redactValue(x, parentSecure));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === SECURE_HASH_KEY) out[k] = x;
      else if (k === "secureJsonData" && x && typeof x === "object") out[k] = redactValue(x, true);
      else if (parentSecure || (SECRET_KEY.test(k) && typeof x === "string")) out[k] = "***";
      else out[k] = redactValue(x, false);
    }
    return out;
  }
  return parentSecure ? "***" : v;
}

/** A copy fit for logs: the token, passwords and every secureJsonData value replaced by `***`. */
export function redactRequest(req: ApiRequest): ApiRequest {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    h[k] = k.toLowerCase() === "authorization" ? v.replace(/^(\w+\s+).*$/, "$1***") : v;
  }
  const out: ApiRequest = { method: req.method, path: req.path, headers: h };
  if (req.body !== undefined) out.body = redactValue(req.body, false);
  return out;
}

function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(",")}]`;
  if (v && typeof v === "object") {
    const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
    return `{${
      keys.map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`).join(",")
    }}`;
  }
  return JSON.stringify(v ?? null);
}

/** Deep equality of JSON values, ignoring key order and undefined members. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return canon(a) === canon(b);
}

/**
 * Fields of a data source that differ between Grafana's copy (`GET /api/datasources/uid/:uid`) and
 * the desired one; empty when nothing needs sending. Server-managed fields (id, orgId, version,
 * readOnly, typeLogoUrl...) are not compared; secure values, which Grafana never returns, are
 * compared through `jsonData.isaSecureHash` and the presence flags of `secureJsonFields`.
 */
export function datasourceDiff(remote: Record<string, unknown>, desired: DatasourceModel): string[] {
  const diff: string[] = [];
  for (
    const k of ["uid", "name", "type", "access", "url", "isDefault", "basicAuth", "basicAuthUser"] as const
  ) {
    const r = remote[k] ?? (k === "basicAuthUser" ? "" : undefined);
    if (!jsonEqual(r, desired[k])) diff.push(k);
  }
  const rj = (remote.jsonData ?? {}) as Record<string, unknown>;
  for (const k of new Set([...Object.keys(rj), ...Object.keys(desired.jsonData)])) {
    if (!jsonEqual(rj[k], desired.jsonData[k])) diff.push(`jsonData.${k}`);
  }
  const flags = (remote.secureJsonFields ?? {}) as Record<string, boolean>;
  for (const k of Object.keys(desired.secureJsonData)) {
    if (flags[k] !== true) diff.push(`secureJsonData.${k}`);
  }
  return diff;
}

/** Dashboard fields Grafana sets itself on save. */
const DASHBOARD_SERVER_FIELDS = new Set(["id", "version"]);

/**
 * Top-level dashboard fields (and `folder`) that differ between Grafana's copy
 * (`GET /api/dashboards/uid/:uid` → `{dashboard, meta}`) and the desired dashboard.
 */
export function dashboardDiff(
  remote: { dashboard?: Record<string, unknown>; meta?: Record<string, unknown> },
  desired: Dashboard,
  folderUid?: string,
): string[] {
  const r = remote.dashboard ?? {};
  const keys = new Set([...Object.keys(r), ...Object.keys(desired)]);
  const diff = [...keys].filter((k) => !DASHBOARD_SERVER_FIELDS.has(k) && !jsonEqual(r[k], desired[k]))
    .sort();
  // Unset means "wherever it is": a dashboard moved by hand is not moved back.
  if (folderUid && (remote.meta?.folderUid ?? "") !== folderUid) diff.push("folder");
  return diff;
}
