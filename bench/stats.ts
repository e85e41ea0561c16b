/** Small pure helpers of the bench: statistics, durations, sizes, formatting. */

/** Median, min and max of some figures (seconds, bytes…). */
export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

/** Median (mean of the two middle values for an even count), min and max; throws on no value. */
export function summarize(values: number[]): Summary {
  if (values.length === 0) throw new Error("no value to summarize");
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], runs: values };
}

/** Parses `10m`, `90s`, `1h`, `500ms`, `0` (a bare number is seconds) into milliseconds. */
export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: '${text}' (e.g. 10m, 90s, 0)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"]!;
  return Math.round(Number(m[1]) * unit);
}

/** Bytes from Docker's sizes (`12.5MiB`, `1.2GB`, `800kB`, `0B`). */
export function bytesOf(text: string): number {
  const m = /^([\d.]+)\s*([kKMGT]?i?B)$/.exec(text.trim());
  if (!m) throw new Error(`not a size: '${text}'`);
  const units: Record<string, number> = {
    B: 1,
    kB: 1e3,
    KB: 1e3,
    MB: 1e6,
    GB: 1e9,
    TB: 1e12,
    KiB: 1024,
    kiB: 1024,
    MiB: 1024 ** 2,
    GiB: 1024 ** 3,
    TiB: 1024 ** 4,
  };
  const u = units[m[2]];
  if (u === undefined) throw new Error(`unknown size unit in '${text}'`);
  return Number(m[1]) * u;
}

/** `12.3 MiB` style. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/** Seconds with two decimals. */
export function secs(s: number): string {
  return s.toFixed(2);
}

/** Left-aligned text table; the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

/**
 * Busy CPU seconds of the whole machine since boot from /proc/stat's `cpu` line: every field but idle and
 * iowait, in USER_HZ ticks (`hz`, 100 on Linux: proc(5)); guest time is already inside user and nice.
 */
export function busyCpuSeconds(procStat: string, hz = 100): number {
  const line = procStat.split("\n").find((l) => /^cpu\s/.test(l));
  if (!line) throw new Error("no cpu line in /proc/stat");
  // user nice system idle iowait irq softirq steal guest guest_nice
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = f[0] + f[1] + f[2] + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return busy / hz;
}
