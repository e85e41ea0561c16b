/** The 11 states of Apache's scoreboard as apache_exporter names them. */
export const SCOREBOARD_STATES = [
  "closing",
  "dns",
  "graceful_stop",
  "idle",
  "idle_cleanup",
  "keepalive",
  "logging",
  "open_slot",
  "read",
  "reply",
  "startup",
] as const;

/** One row of verify-metrics' answer for a host. */
export interface CheckResult {
  id: number;
  name: string;
  ok: boolean;
  evidence: string;
  cause?: string;
  fix?: string;
}

/** A failed check: what was seen, its likely cause, and the fix. */
export function failed(id: number, name: string, evidence: string, cause: string, fix: string): CheckResult {
  return { id, name, ok: false, evidence, cause, fix };
}

/** Check 1 from the body (and status) of `/server-status?auto` fetched on the host itself. */
export function checkServerStatus(status: number, body: string): CheckResult {
  const name = "Apache /server-status?auto on the host";
  const sb = /^Scoreboard: (\S+)$/m.exec(body)?.[1];
  if (status === 200 && sb) {
    const busy = [...sb].filter((c) => !"_.".includes(c)).length;
    const idle = [...sb].filter((c) => c === "_").length;
    return {
      id: 1,
      name,
      ok: true,
      evidence: `Scoreboard of ${sb.length} slots: ${busy} busy, ${idle} idle`,
    };
  }
  if (status === 0) {
    return failed(
      1,
      name,
      "no answer on http://localhost/",
      "Apache is not running or not listening on port 80",
      "systemctl status httpd (or apache2) on the host",
    );
  }
  return {
    id: 1,
    name,
    ok: false,
    evidence: `HTTP ${status}${sb ? "" : ", no Scoreboard: line"}`,
    cause: status === 404 || status === 403 || status === 200
      ? "the /server-status block is missing, refuses localhost, or mod_status is off"
      : "Apache answered with an error",
    fix: "deno task apache (writes the block, validates, reloads gracefully)",
  };
}

/** Values of `metric{state=...}` in Prometheus text exposition format. */
export function scoreboardFromText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^apache_scoreboard\{state="([a-z_]+)"\} (\S+)$/gm)) {
    out.set(m[1], Number(m[2]));
  }
  return out;
}

/** Check 2 from the exporter's /metrics body (fetched on the host), or why it couldn't be read. */
export function checkExporter(running: boolean, metrics: string | null): CheckResult {
  const name = "apache_exporter exposes apache_scoreboard (11 states)";
  if (!running) {
    return failed(
      2,
      name,
      "container apache_exporter is not running",
      "the exporter was stopped, removed, or crashed",
      "deno task exporter (or deno task deploy)",
    );
  }
  const sb = scoreboardFromText(metrics ?? "");
  const missing = SCOREBOARD_STATES.filter((s) => !sb.has(s));
  if (missing.length === 0) {
    return {
      id: 2,
      name,
      ok: true,
      evidence: `11 states; open_slot=${sb.get("open_slot")}, idle=${sb.get("idle")}`,
    };
  }
  const up = /^apache_up (\S+)$/m.exec(metrics ?? "")?.[1];
  return {
    id: 2,
    name,
    ok: false,
    evidence: metrics === null
      ? "no answer on :9117/metrics"
      : `missing states: ${missing.join(", ")}; apache_up=${up ?? "absent"}`,
    cause: metrics === null
      ? "the exporter does not answer"
      : "the exporter cannot read the scoreboard (apache_up says 1 even on a 403)",
    fix:
      "check that the Apache block allows our Docker network's subnet (deno task apache), then the exporter's logs",
  };
}

/** A Prometheus target as /api/v1/targets returns it. */
export interface Target {
  labels: Record<string, string>;
  health: string;
  lastScrape: string;
  lastError: string;
}

/** Check 3 from /api/v1/targets (queried on the host, behind the frontend). */
export function checkTarget(targets: Target[] | null, intervalS: number, now = Date.now()): CheckResult {
  const name = "Prometheus scrapes the exporter (target up, recent)";
  if (targets === null) {
    return failed(
      3,
      name,
      "Prometheus' API does not answer",
      "the prometheus container is stopped or failing",
      "deno task prometheus; docker logs prometheus",
    );
  }
  const t = targets.find((x) => x.labels.job === "apache");
  if (!t) {
    return failed(
      3,
      name,
      "no target with job=apache",
      "prometheus.yml lacks the job",
      "deno task prometheus",
    );
  }
  const age = (now - Date.parse(t.lastScrape)) / 1000;
  const ok = t.health === "up" && age <= 2 * intervalS + 5;
  return {
    id: 3,
    name,
    ok,
    evidence: `health=${t.health}, last scrape ${age.toFixed(0)}s ago${
      t.lastError ? `, error: ${t.lastError}` : ""
    }`,
    ...(ok ? {} : {
      cause: t.health !== "up" ? "Prometheus cannot reach the exporter" : "scrapes have stopped",
      fix: "docker ps on the host; deno task exporter",
    }),
  };
}

/** One series of an instant query result. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Check 4 from `time() - timestamp(apache_scoreboard{instance=...})` through the public endpoint. */
export function checkPublicQuery(
  host: string,
  result: Sample[] | null,
  error: string | null,
  intervalS: number,
): CheckResult {
  const name = `apache_scoreboard{instance="${host}"} through https (fresh samples)`;
  if (result === null) {
    return {
      id: 4,
      name,
      ok: false,
      evidence: error ?? "no answer",
      cause: error?.includes("401")
        ? "the credentials in the secrets are not the deployed ones"
        : "the public endpoint failed",
      fix: error?.includes("401")
        ? "deno task deploy (pushes the current password)"
        : "deno task deploy; check port 8443",
    };
  }
  const states = new Map(result.map((r) => [r.metric.state, Number(r.value[1])]));
  const missing = SCOREBOARD_STATES.filter((s) => !states.has(s));
  const oldest = Math.max(0, ...states.values());
  const ok = missing.length === 0 && oldest <= 2 * intervalS;
  return {
    id: 4,
    name,
    ok,
    evidence: missing.length
      ? `missing states: ${missing.join(", ")}`
      : `11 states, newest ${oldest.toFixed(0)}s old at most`,
    ...(ok ? {} : {
      cause: missing.length === 11 ? "no scoreboard stored for this instance" : "samples are stale",
      fix: "verify-metrics --wait 60s right after a deploy; otherwise see checks 2 and 3",
    }),
  };
}
