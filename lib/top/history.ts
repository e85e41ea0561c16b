/**
 * A host's last minutes as `top` draws them: requests/s and busy workers from Prometheus' range queries
 * (`/api/v1/query_range`), so the history is there at start-up, and the sparklines that show it (pure).
 */

/** What a range query answers per series (view.ts' MatrixSeries has it too; not imported: view.ts imports us). */
type RangeSeries = { values: [number | string, string][] };

/** How much history `top` asks for: 30 points, one per 20 s, the last 10 minutes. */
export const HISTORY = { points: 30, stepS: 20 } as const;

/** A host's history: one value per step, oldest first; null where Prometheus had no sample. */
export interface History {
  /** Unix time (s) of the first point. */
  start: number;
  stepS: number;
  requestsPerS: (number | null)[];
  busy: (number | null)[];
}

/**
 * The two range queries of a host's history. Requests/s is `rate` over `rateWindowS` (at least two
 * scrapes), summed so a counter reset is handled by Prometheus; busy workers is the exporter's own
 * `apache_workers{state="busy"}`.
 */
export function historyQueries(host: string, rateWindowS: number): { requestsPerS: string; busy: string } {
  return {
    requestsPerS: `sum(rate(apache_accesses_total{instance="${host}"}[${rateWindowS}s]))`,
    busy: `sum(apache_workers{instance="${host}",state="busy"})`,
  };
}

/** The range of a history ending at `now` (Unix s), aligned to the step so frames ask for the same points. */
export function historyRange(now: number): { start: number; end: number; stepS: number } {
  const end = Math.floor(now / HISTORY.stepS) * HISTORY.stepS;
  return { start: end - (HISTORY.points - 1) * HISTORY.stepS, end, stepS: HISTORY.stepS };
}

/**
 * One value per step from a range query's matrix (`resultType: "matrix"`: each series' `values` are
 * `[unixSeconds, "value"]` pairs, https://prometheus.io/docs/prometheus/latest/querying/api/#range-vectors),
 * summing series that share a step; steps without a sample, and NaN or infinite values, are null.
 */
export function pointsOf(result: RangeSeries[], start: number, stepS: number, n: number): (number | null)[] {
  const out: (number | null)[] = Array(n).fill(null);
  for (const s of result) {
    for (const [t, v] of s.values) {
      const i = Math.round((Number(t) - start) / stepS);
      const x = Number(v);
      if (i < 0 || i >= n || !Number.isFinite(x)) continue;
      out[i] = (out[i] ?? 0) + x;
    }
  }
  return out;
}

const BLOCKS = "▁▂▃▄▅▆▇█";

/**
 * The last `width` values as a sparkline: one block per value, its height in eighths of the largest
 * (the lowest block for zero, so an idle host still draws a line), a space where there is no value.
 */
export function sparkline(values: (number | null)[], width: number): string {
  const shown = values.slice(Math.max(0, values.length - width));
  const max = Math.max(0, ...shown.filter((v): v is number => v !== null));
  return shown.map((v) => {
    if (v === null) return " ";
    if (max <= 0) return BLOCKS[0];
    return BLOCKS[Math.min(7, Math.max(0, Math.ceil((v / max) * 8) - 1))];
  }).join("").padStart(width);
}
