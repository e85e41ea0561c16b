import { Buffer } from "node:buffer";
import type { Host } from "../inventory/host.ts";
import type { Credential } from "../inventory/secrets.ts";
import { PinnedClient } from "./pinned.ts";
import { checkPublicQuery, type CheckResult, type Sample } from "./evidence.ts";

/** An HTTP answer, or the error that stood in for one. */
export interface Answer {
  status: number;
  body: string;
  error?: string;
}

function basic(c: Credential): string {
  return "Basic " + Buffer.from(`${c.user}:${c.pass}`).toString("base64");
}

/** A client that trusts only the host's own certificate, pinned (see pinned.ts); none without one. */
export function clientFor(certPem: string | null): PinnedClient | undefined {
  return certPem ? new PinnedClient(certPem) : undefined;
}

/** GET with a timeout, through the pinned client for https (plain fetch without one); never throws. */
export async function get(
  url: string,
  opts: { client?: PinnedClient; cred?: Credential; timeoutMs?: number } = {},
) {
  const headers: Record<string, string> = opts.cred ? { Authorization: basic(opts.cred) } : {};
  try {
    if (opts.client && url.startsWith("https:")) {
      return await opts.client.get(url, headers, opts.timeoutMs) as Answer;
    }
    const r = await fetch(url, { headers, signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
    return { status: r.status, body: await r.text() } as Answer;
  } catch (e) {
    const cause = (e as { cause?: Error }).cause;
    return {
      status: 0,
      body: "",
      error: `${(e as Error).message}${cause ? `: ${cause.message}` : ""}`,
    } as Answer;
  }
}

/** Base URL of the host's HTTPS endpoint as clients reach it. */
export function publicUrl(host: Host, port = host.vars.ports.https): string {
  const a = host.vars.public_address;
  return `https://${a.includes(":") ? `[${a}]` : a}:${port}`;
}

/** Seconds since a host's last scoreboard sample (check 4 and `status`'s last sample age). */
export function scoreboardAgeQuery(host: string): string {
  return `time() - timestamp(apache_scoreboard{instance="${host}"})`;
}

/** Check 4: the scoreboard through the public endpoint, fresh. */
export async function publicQueryCheck(
  host: Host,
  client: PinnedClient | undefined,
  cred: Credential,
  intervalS: number,
) {
  const q = scoreboardAgeQuery(host.name);
  const a = await get(`${publicUrl(host)}/api/v1/query?query=${encodeURIComponent(q)}`, { client, cred });
  if (a.status !== 200) {
    return checkPublicQuery(host.name, null, a.error ?? `HTTP ${a.status}`, intervalS);
  }
  const result = JSON.parse(a.body)?.data?.result as Sample[];
  return checkPublicQuery(host.name, result, null, intervalS);
}

/** Check 5: 401 without credentials, the host's certificate, no /server-status from outside. */
export async function frontendCheck(
  host: Host,
  client: PinnedClient | undefined,
  cred: Credential,
): Promise<CheckResult> {
  const name = "endpoint refuses anonymous requests, presents the host's certificate, hides /server-status";
  const problems: string[] = [];
  const evidence: string[] = [];
  const anon = await get(`${publicUrl(host)}/api/v1/status/buildinfo`, { client });
  if (anon.error && /certificate|tls|ssl/i.test(anon.error)) {
    problems.push(`TLS with the host's certificate failed: ${anon.error}`);
  } else if (anon.status !== 401) {
    problems.push(`anonymous request got ${anon.status || anon.error}, not 401`);
  } else evidence.push("anonymous → 401, certificate verified");
  if (!client) problems.push(`no certificate found on the host`);
  const outside = await get(`http://${host.vars.public_address}/server-status?auto`, { timeoutMs: 3000 });
  if (/^Scoreboard:/m.test(outside.body)) problems.push("/server-status answers from outside on port 80");
  else evidence.push(`http://…/server-status from outside → ${outside.status || "no answer"}`);
  const viaFrontend = await get(`${publicUrl(host)}/server-status?auto`, { client, cred });
  if (/^Scoreboard:/m.test(viaFrontend.body)) problems.push("/server-status answers through the frontend");
  const ok = problems.length === 0;
  return {
    id: 5,
    name,
    ok,
    evidence: ok ? evidence.join("; ") : problems.join("; "),
    ...(ok ? {} : { cause: "the frontend or the Apache block is not as deployed", fix: "deno task deploy" }),
  };
}

/** Check 6: production keeps 8080 closed; quality serves the dashboard there only with credentials. */
export async function dashboardPortCheck(
  host: Host,
  client: PinnedClient | undefined,
  cred: Credential,
): Promise<CheckResult> {
  const port = host.vars.ports.dashboard;
  const base = publicUrl(host, port);
  // Traefik's dashboard, or (native frontend) Prometheus' own API on the same port.
  const path = host.vars.frontend === "traefik" ? "/dashboard/" : "/api/v1/status/buildinfo";
  const anon = await get(`${base}${path}`, { client, timeoutMs: 3000 });
  const plain = anon.status
    ? anon
    : await get(`http://${host.vars.public_address}:${port}${path}`, { timeoutMs: 3000 });
  if (!host.vars.dashboard) {
    const ok = plain.status === 0;
    return {
      id: 6,
      name: `port ${port} closed from outside (production)`,
      ok,
      evidence: ok ? `no answer on ${port}` : `port ${port} answered HTTP ${plain.status}`,
      ...(ok ? {} : {
        cause: "the firewall chain or the container's published ports let it through",
        fix: "deno task firewall --prod",
      }),
    };
  }
  const authed = await get(`${base}${path}`, { client, cred, timeoutMs: 3000 });
  const ok = anon.status === 401 && authed.status >= 200 && authed.status < 400;
  return {
    id: 6,
    name: `dashboard on ${port} answers only with credentials (quality)`,
    ok,
    evidence: `anonymous → ${anon.status || anon.error}; with credentials → ${authed.status || authed.error}`,
    ...(ok
      ? {}
      : { cause: "the dashboard is not deployed, or is open without credentials", fix: "deno task deploy" }),
  };
}
