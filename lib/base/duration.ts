/**
 * Durations as the inventory (`scrape_interval`) and the flags (`--wait`) write them, Prometheus-style:
 * a number and one unit.
 */
const UNIT_SECONDS = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 } as const;

/** Parses a duration like `15s`, `2m`, `1h`, `500ms`, `1d` into seconds; throws on anything else. */
export function seconds(d: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(d.trim());
  if (!m) throw new Error(`'${d}' is not a duration (e.g. 90s, 5m)`);
  return Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
}
