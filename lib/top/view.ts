/** What one line of `top` shows for a host, computed from Prometheus' answers (pure). */
import { lastRate, meanResponseMs, type Point } from "./rates.ts";
import { busyWorkers, type Scoreboard, STATES } from "./scoreboard.ts";
import type { History } from "./history.ts";

/** One series of a range-vector query (`/api/v1/query` of `…[1m]`): raw samples. */
export interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** A host's numbers, or why there are none. */
export interface HostView {
  host: string;
  /** `ok`: fresh numbers; `stale`: the last sample is too old; `down`: no answer from the endpoint. */
  state: "ok" | "stale" | "down";
  /** Why the host is stale or down. */
  reason?: string;
  scoreboard: Scoreboard;
  busy: number;
  idle: number;
  requestsPerS: number | null;
  kBPerS: number | null;
  meanMs: number | null;
  uptimeS: number | null;
  /** Seconds since the newest apache_scoreboard sample. */
  ageS: number | null;
  alerts: string[];
  /** Requests/s and busy workers over the last minutes (null: no history, e.g. the host is down). */
  history: History | null;
}

/** A host without numbers (endpoint unreachable, query refused). */
export function downView(host: string, reason: string): HostView {
  return {
    host,
    state: "down",
    reason,
    scoreboard: {},
    busy: 0,
    idle: 0,
    requestsPerS: null,
    kBPerS: null,
    meanMs: null,
    uptimeS: null,
    ageS: null,
    alerts: [],
    history: null,
  };
}

function points(series: MatrixSeries[], name: string, labels: Record<string, string> = {}): Point[] {
  const s = series.find((x) =>
    x.metric.__name__ === name && Object.entries(labels).every(([k, v]) => x.metric[k] === v)
  );
  return (s?.values ?? []).map(([t, v]) => [Number(t), Number(v)] as Point).sort((a, b) => a[0] - b[0]);
}

function last(series: MatrixSeries[], name: string, labels: Record<string, string> = {}): Point | null {
  const p = points(series, name, labels);
  return p.length ? p[p.length - 1] : null;
}

/**
 * A host's view from the raw samples of its apache_* series over the last minute and its firing
 * alerts. Stale when the newest scoreboard sample is older than `staleAfterS` (at `now`, Unix seconds).
 */
export function hostView(
  host: string,
  series: MatrixSeries[],
  alerts: { metric: Record<string, string> }[],
  now: number,
  staleAfterS: number,
  history: History | null = null,
): HostView {
  const scoreboard: Scoreboard = {};
  let newest: number | null = null;
  for (const s of STATES) {
    const p = last(series, "apache_scoreboard", { state: s.state });
    if (!p) continue;
    scoreboard[s.state] = p[1];
    newest = Math.max(newest ?? 0, p[0]);
  }
  const view: HostView = {
    host,
    state: "ok",
    scoreboard,
    busy: last(series, "apache_workers", { state: "busy" })?.[1] ?? busyWorkers(scoreboard),
    idle: last(series, "apache_workers", { state: "idle" })?.[1] ?? (scoreboard.idle ?? 0),
    requestsPerS: lastRate(points(series, "apache_accesses_total")),
    kBPerS: lastRate(points(series, "apache_sent_kilobytes_total")),
    meanMs: meanResponseMs(
      points(series, "apache_duration_ms_total"),
      points(series, "apache_accesses_total"),
    ),
    uptimeS: last(series, "apache_uptime_seconds_total")?.[1] ?? null,
    ageS: newest === null ? null : Math.max(0, now - newest),
    alerts: [...new Set(alerts.map((a) => a.metric.alertname ?? "?"))].sort(),
    history,
  };
  if (newest === null) {
    return { ...view, state: "stale", reason: "no apache_scoreboard sample in the last minute" };
  }
  if (view.ageS! > staleAfterS) {
    return { ...view, state: "stale", reason: `last sample ${Math.round(view.ageS!)}s ago` };
  }
  const up = last(series, "apache_up");
  if (up && up[1] === 0) {
    return { ...view, state: "stale", reason: "apache_up is 0 (Apache does not answer)" };
  }
  return view;
}
