/**
 * Where `top` reads each host's numbers: the host's own HTTPS endpoint (trusting only that host's
 * certificate, read once over SSH), or the central store when the hosts remote-write to one.
 */
import { centralQueryUrl } from "../inventory/remote_write.ts";
import type { Host } from "../inventory/host.ts";
import { installPaths } from "../inventory/paths.ts";
import { redact } from "../base/redact.ts";
import type { Secrets } from "../inventory/secrets.ts";
import { withSession } from "../fleet/fleet.ts";
import { seconds } from "../base/duration.ts";
import { clientFor, publicUrl } from "../verify/public.ts";
import type { PinnedClient } from "../verify/pinned.ts";
import { downView, type HostView, hostView, type MatrixSeries } from "./view.ts";
import { HISTORY, type History, historyQueries, historyRange, pointsOf } from "./history.ts";

/** The apache_* series a line needs. */
const SERIES =
  "apache_(scoreboard|workers|accesses_total|sent_kilobytes_total|duration_ms_total|uptime_seconds_total|up)";

/** Raw samples of a host's apache_* series over a window holding at least two scrapes. */
export function seriesQuery(host: string, windowS: number): string {
  return `{__name__=~"${SERIES}",instance="${host}"}[${windowS}s]`;
}

/**
 * Firing alerts of a host: its own Prometheus holds only its own; the central store's carry `host`.
 * The Watchdog (severity heartbeat) always fires by design: not shown as an alert.
 */
export function alertsQuery(host: string, central: boolean): string {
  const firing = `alertstate="firing",severity!="heartbeat"`;
  return central ? `ALERTS{${firing},host="${host}"}` : `ALERTS{${firing}}`;
}

/** An endpoint answering the Prometheus query API. */
interface Endpoint {
  base: string;
  client?: PinnedClient;
  headers: Record<string, string>;
}

function basic(user: string, pass: string): string {
  return "Basic " + btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${pass}`)));
}

async function query<T>(
  e: Endpoint,
  q: string,
  range?: { start: number; end: number; stepS: number },
): Promise<T> {
  const path = range
    ? `query_range?query=${encodeURIComponent(q)}&start=${range.start}&end=${range.end}&step=${range.stepS}`
    : `query?query=${encodeURIComponent(q)}`;
  const url = `${e.base}/api/v1/${path}`;
  // A host's endpoint: only through its pinned client; the central store: the public roots, as Grafana.
  const { status, body } = e.client
    ? await e.client.get(url, e.headers, 3000)
    : await fetch(url, { headers: e.headers, signal: AbortSignal.timeout(3000) })
      .then(async (r) => ({ status: r.status, body: await r.text() }));
  if (status !== 200) {
    throw new Error(`HTTP ${status}${status === 401 ? " (credentials refused)" : ""}`);
  }
  return JSON.parse(body).data.result as T;
}

/** Reads every host's view; one reader per run keeps the HTTP clients and certificates. */
export class TopSource {
  #endpoints = new Map<string, Endpoint>();
  #central: Endpoint | undefined;
  /** Where the numbers come from, for the title. */
  readonly label: string;

  constructor(readonly hosts: Host[], readonly secrets: Secrets) {
    const rw = hosts[0]?.vars.remote_write;
    if (rw && hosts.every((h) => JSON.stringify(h.vars.remote_write) === JSON.stringify(rw))) {
      const headers: Record<string, string> = {};
      const s = secrets.remote_write;
      if (rw.auth === "basic" && s?.username && s.password) {
        headers.Authorization = basic(s.username, s.password);
      }
      if (rw.auth === "bearer" && s?.bearer_token) headers.Authorization = `Bearer ${s.bearer_token}`;
      this.#central = { base: centralQueryUrl(rw), headers };
      this.label = `central store ${this.#central.base}`;
    } else this.label = "each host's HTTPS endpoint";
  }

  /** The host's endpoint: its certificate is read over SSH the first time (and again after a failure). */
  async #endpoint(host: Host): Promise<Endpoint> {
    const known = this.#endpoints.get(host.name);
    if (known) return known;
    const pem = await withSession(host, () => {}, (ssh) => ssh.readFile(installPaths(host.vars).cert));
    if (!pem?.includes("BEGIN CERTIFICATE")) throw new Error("no certificate on the host (not deployed?)");
    const cred = this.secrets.frontend.credentials[0];
    const e = {
      base: publicUrl(host),
      client: clientFor(pem),
      headers: { Authorization: basic(cred.user, cred.pass) },
    };
    this.#endpoints.set(host.name, e);
    return e;
  }

  /** One host's view; never throws (an unreachable host is a `down` view). */
  async view(host: Host): Promise<HostView> {
    const intervalS = seconds(host.vars.scrape_interval);
    const windowS = Math.max(60, Math.ceil(4 * intervalS));
    try {
      const e = this.#central ?? await this.#endpoint(host);
      const range = historyRange(Date.now() / 1000);
      const hq = historyQueries(host.name, windowS);
      const [series, alerts, reqs, busy] = await Promise.all([
        query<MatrixSeries[]>(e, seriesQuery(host.name, windowS)),
        query<{ metric: Record<string, string> }[]>(e, alertsQuery(host.name, !!this.#central)),
        query<MatrixSeries[]>(e, hq.requestsPerS, range),
        query<MatrixSeries[]>(e, hq.busy, range),
      ]);
      const history: History = {
        start: range.start,
        stepS: range.stepS,
        requestsPerS: pointsOf(reqs, range.start, range.stepS, HISTORY.points),
        busy: pointsOf(busy, range.start, range.stepS, HISTORY.points),
      };
      return hostView(host.name, series, alerts, Date.now() / 1000, 3 * intervalS + 5, history);
    } catch (err) {
      const e = err as Error & { cause?: Error };
      if (!this.#central) {
        // A new certificate (re-deploy) or a restarted endpoint: start over next time.
        this.#endpoints.get(host.name)?.client?.close();
        this.#endpoints.delete(host.name);
      }
      const why = e.name === "TimeoutError"
        ? "no answer within 3 s"
        : `${e.message}${e.cause ? `: ${e.cause.message}` : ""}`;
      // The URL (a long query) says nothing the line does not: left out.
      return downView(host.name, redact(why.split("\n")[0].replace(/ for url \(\S+\)/, "")));
    }
  }

  /** Views of every host, side by side, in inventory order. */
  views(): Promise<HostView[]> {
    return Promise.all(this.hosts.map((h) => this.view(h)));
  }

  /** Closes the HTTP clients. */
  close(): void {
    for (const e of this.#endpoints.values()) e.client?.close();
    this.#endpoints.clear();
  }
}
