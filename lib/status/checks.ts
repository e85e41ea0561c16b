/**
 * What `status` concludes from what it read (pure): image versions against the pinned ones, days of
 * certificate left, TSDB size against its retention, scrape health, firing alerts, sample age.
 */
import type { Vars } from "../inventory/vars.ts";
import { CONTAINER_NAMES } from "../containers/builders.ts";

/** Certificate renewal threshold of the certificate step (30 days), reused as status' warning. */
export const CERT_WARN_DAYS = 30;

/** One container as status reports it. */
export interface ContainerRow {
  name: string;
  state: string;
  image: string;
  /** The reference the inventory pins for this container, when it is one of ours. */
  pinned?: string;
  uptime: string;
}

/** A scrape target as status reports it. */
export interface TargetRow {
  job: string;
  health: string;
  lastScrapeAgeS: number | null;
  error: string;
}

/** The pinned image of one of our containers (by container name); undefined for others. */
export function pinnedImage(vars: Pick<Vars, "images">, container: string): string | undefined {
  const key = (Object.keys(CONTAINER_NAMES) as (keyof typeof CONTAINER_NAMES)[]).find((k) =>
    CONTAINER_NAMES[k] === container
  );
  if (!key) return undefined;
  return key === "exporter" ? vars.images.apache_exporter : vars.images[key];
}

/** Whole days from `now` until `notAfter` (openssl's `notAfter=Jan  1 00:00:00 2030 GMT`); null if unparsable. */
export function certDaysLeft(enddate: string, now = Date.now()): number | null {
  const m = /notAfter=(.+)$/m.exec(enddate);
  const t = m ? Date.parse(m[1].trim().replace(/\s+/g, " ")) : NaN;
  return Number.isNaN(t) ? null : Math.floor((t - now) / 86_400_000);
}

/** Bytes of a Prometheus size (`2GB`, `2GiB`): its units are powers of 1024 (Prometheus' units.Base2Bytes). */
export function sizeBytes(size: string): number | null {
  // Prometheus prints its flag back as `2GiB`: both spellings mean powers of 1024.
  const m = /^(\d+)([KMGTPE]?)i?B$/.exec(size.trim());
  if (!m) return null;
  const p = ["", "K", "M", "G", "T", "P", "E"].indexOf(m[2]);
  return Number(m[1]) * 1024 ** p;
}

/** A byte count for people: `1.4 MiB`. */
export function human(bytes: number): string {
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (bytes >= 1024 && i < u.length - 1) {
    bytes /= 1024;
    i++;
  }
  return `${bytes.toFixed(i ? 1 : 0)} ${u[i]}`;
}

/** Targets from /api/v1/targets' activeTargets, with the age of their last scrape. */
export function targetRows(
  active: { labels: Record<string, string>; health: string; lastScrape: string; lastError: string }[],
  now = Date.now(),
): TargetRow[] {
  return active.map((t) => {
    const at = Date.parse(t.lastScrape);
    return {
      job: t.labels.job ?? "?",
      health: t.health,
      lastScrapeAgeS: Number.isNaN(at) || at <= 0 ? null : Math.max(0, (now - at) / 1000),
      error: t.lastError ?? "",
    };
  });
}

/** Severities of alerts that ask for no action (`heartbeat`: the Watchdog, which always fires by design). */
export const QUIET_SEVERITIES = ["info", "none", "heartbeat"];

/** A firing alert: its name and `severity` label. */
export interface FiringAlert {
  name: string;
  severity: string;
}

/** What an operator reads about one host, and whether it needs attention. */
export interface HealthInput {
  containers: ContainerRow[];
  certDaysLeft: number | null;
  tsdbBytes: number | null;
  retentionSize: string | null;
  targets: TargetRow[] | null;
  alerts: FiringAlert[];
  lastSampleAgeS: number | null;
  intervalS: number;
}

/** The problems status reports for a host (empty when all is well). */
export function problems(h: HealthInput): string[] {
  const out: string[] = [];
  for (const c of h.containers) {
    if (c.pinned && c.image !== c.pinned) out.push(`${c.name} runs ${c.image}, pinned ${c.pinned}`);
    if (c.pinned && c.state !== "running") out.push(`${c.name} is ${c.state}`);
  }
  if (h.certDaysLeft === null) out.push("no readable certificate");
  else if (h.certDaysLeft < CERT_WARN_DAYS) out.push(`certificate expires in ${h.certDaysLeft} day(s)`);
  const limit = h.retentionSize ? sizeBytes(h.retentionSize) : null;
  if (h.tsdbBytes !== null && limit !== null && h.tsdbBytes > 0.9 * limit) {
    out.push(`TSDB ${human(h.tsdbBytes)} is over 90% of retention_size ${h.retentionSize}`);
  }
  if (h.targets === null) out.push("Prometheus' API does not answer");
  else {
    for (const t of h.targets) {
      if (t.health !== "up") out.push(`target ${t.job} is ${t.health}${t.error ? `: ${t.error}` : ""}`);
    }
    if (!h.targets.some((t) => t.job === "apache")) out.push("no apache target");
  }
  // `info` alerts (ApacheRestarted) tell a story and `none` ones (a Watchdog) prove the pipeline: no action.
  const serious = h.alerts.filter((a) => !QUIET_SEVERITIES.includes(a.severity)).map((a) => a.name);
  if (serious.length) out.push(`alerts firing: ${serious.join(", ")}`);
  if (h.lastSampleAgeS === null) out.push("no apache_scoreboard sample");
  else if (h.lastSampleAgeS > 3 * h.intervalS + 5) {
    out.push(`last apache_scoreboard sample ${Math.round(h.lastSampleAgeS)}s ago`);
  }
  return out;
}
