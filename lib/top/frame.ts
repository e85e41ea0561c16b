/** One frame of `deno task top`: plain text from the hosts' numbers (pure; colours optional). */
import { printable } from "../base/output.ts";
import { barCells, STATES } from "./scoreboard.ts";
import type { HostView } from "./view.ts";

/** How to draw a frame. */
export interface FrameOptions {
  /** ANSI colours (live view); none for --once. */
  colour: boolean;
  /** Cells of the scoreboard bar. */
  barWidth: number;
  /** Header text (source and time). */
  title: string;
}

function paint(on: boolean, sgr: string, s: string): string {
  return on ? `\x1b[${sgr}m${s}\x1b[0m` : s;
}

/** Seconds as the largest sensible unit: `42s`, `17m`, `5h12m`, `3d4h`. */
export function duration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return "-";
  s = Math.max(0, Math.floor(s));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

function num(v: number | null, digits: number): string {
  return v === null || !Number.isFinite(v) ? "-" : v.toFixed(digits);
}

/** The column header. */
export function header(o: FrameOptions): string {
  return `${"HOST".padEnd(12)} ${"SCOREBOARD".padEnd(o.barWidth + 2)} ${"BUSY".padStart(5)} ${
    "IDLE".padStart(5)
  } ${"REQ/S".padStart(8)} ${"KB/S".padStart(9)} ${"MEAN".padStart(8)} ${"UPTIME".padStart(7)}  ALERTS`;
}

/** The lines of one host: its figures, then the count of each of the 11 states. */
export function hostLines(v: HostView, o: FrameOptions): string[] {
  const name = printable(v.host).padEnd(12);
  if (v.state === "down") {
    return [`${name} ${paint(o.colour, "35;1", `UNREACHABLE: ${printable(v.reason ?? "no answer")}`)}`];
  }
  const cells = barCells(v.scoreboard, o.barWidth);
  const bar = cells.map((s) => paint(o.colour, s.sgr, s.char)).join("") +
    " ".repeat(Math.max(0, o.barWidth - cells.length));
  const alerts = v.alerts.length
    ? paint(o.colour, "31;1", `${v.alerts.length} firing: ${v.alerts.map(printable).join(", ")}`)
    : "none";
  const main = `${name} [${bar}] ${String(v.busy).padStart(5)} ${String(v.idle).padStart(5)} ${
    num(v.requestsPerS, 2).padStart(8)
  } ${num(v.kBPerS, 1).padStart(9)} ${(v.meanMs === null ? "-" : `${v.meanMs.toFixed(0)}ms`).padStart(8)} ${
    duration(v.uptimeS).padStart(7)
  }  ${alerts}`;
  const counts = " ".repeat(13) +
    STATES.map((s) => `${paint(o.colour, s.sgr, s.char)}:${s.state}=${v.scoreboard[s.state] ?? 0}`).join(" ");
  const lines = [main, counts];
  if (v.state === "stale") {
    lines.push(" ".repeat(13) + paint(o.colour, "33;1", `STALE: ${printable(v.reason ?? "")}`));
  }
  return lines;
}

/** The whole frame: title, header, then each host in inventory order. */
export function renderFrame(views: HostView[], o: FrameOptions): string {
  const legend = STATES.map((s) => `${paint(o.colour, s.sgr, s.char)} ${s.legend}`).join("  ");
  return [
    paint(o.colour, "1", o.title),
    header(o),
    ...views.flatMap((v) => hostLines(v, o)),
    "",
    legend,
  ].join("\n") + "\n";
}
