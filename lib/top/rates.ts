/** Rates from the raw samples of a counter, as Prometheus' `irate` takes them: the last two. */

/** One raw sample: Unix time in seconds and the value. */
export type Point = [number, number];

/**
 * Per-second rate between two samples of a counter; a counter that went down was reset (Apache
 * restarted), so the newer value is the increase since then. Null when the samples don't span time.
 */
export function rate(older: Point, newer: Point): number | null {
  const dt = newer[0] - older[0];
  if (!(dt > 0)) return null;
  const dv = newer[1] >= older[1] ? newer[1] - older[1] : newer[1];
  return dv / dt;
}

/** Rate over the last two points of a series (sorted by time), or null with fewer than two. */
export function lastRate(points: Point[]): number | null {
  if (points.length < 2) return null;
  return rate(points[points.length - 2], points[points.length - 1]);
}

/** Increase between the last two points (reset-aware), or null with fewer than two. */
export function lastIncrease(points: Point[]): number | null {
  if (points.length < 2) return null;
  const [a, b] = [points[points.length - 2][1], points[points.length - 1][1]];
  return b >= a ? b - a : b;
}

/**
 * Mean response time over the last scrape interval: the increase of apache_duration_ms_total divided
 * by the increase of apache_accesses_total. Null when no request was served in between.
 */
export function meanResponseMs(durationMs: Point[], accesses: Point[]): number | null {
  const d = lastIncrease(durationMs);
  const n = lastIncrease(accesses);
  if (d === null || n === null || n === 0) return null;
  return d / n;
}
