/** One frame of `deno task top`: plain text from the hosts' numbers (pure; colours optional). */
import { printable } from "../base/output.ts";
import { barCells, STATES } from "./scoreboard.ts";
import { sparkline } from "./history.ts";
import type { HostView } from "./view.ts";

/** How to draw a frame. */
export interface FrameOptions {
  /** ANSI colours (live view); none for --once. */
  colour: boolean;
  /** Cells of the scoreboard bar. */
  barWidth: number;
  /** Header text (source and time). */
  title: string;
  /** Terminal columns: no line is longer (columns drop, the bar narrows, lists wrap). None: no limit. */
  width?: number;
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

/** A figure column of a host's line, in the order shown; `drop` ranks which goes first when space is short. */
interface Column {
  name: string;
  w: number;
  drop: number;
  cell: (v: HostView) => string;
}

const COLUMNS: Column[] = [
  { name: "BUSY", w: 5, drop: 99, cell: (v) => String(v.busy) },
  { name: "IDLE", w: 5, drop: 4, cell: (v) => String(v.idle) },
  { name: "REQ/S", w: 8, drop: 99, cell: (v) => num(v.requestsPerS, 2) },
  { name: "KB/S", w: 9, drop: 1, cell: (v) => num(v.kBPerS, 1) },
  { name: "MEAN", w: 8, drop: 2, cell: (v) => v.meanMs === null ? "-" : `${v.meanMs.toFixed(0)}ms` },
  { name: "UPTIME", w: 7, drop: 3, cell: (v) => duration(v.uptimeS) },
];

const NAME = 12;
const MIN_BAR = 10;
/** Room left for ALERTS at the least ("none", "2 fi…"). */
const MIN_ALERTS = 6;

/** The columns and bar width that fit `o.width`: the least needed columns dropped first, then the bar narrowed. */
function layout(o: FrameOptions): { columns: Column[]; barWidth: number } {
  const width = o.width ?? Infinity;
  const fixed = (cols: Column[]) => NAME + 1 + 3 + cols.reduce((n, c) => n + c.w + 1, 0) + 1 + MIN_ALERTS;
  let columns = [...COLUMNS];
  for (const c of [...COLUMNS].sort((a, b) => a.drop - b.drop)) {
    if (fixed(columns) + Math.min(o.barWidth, MIN_BAR) <= width || c.drop === 99) break;
    columns = columns.filter((x) => x !== c);
  }
  const barWidth = Math.max(1, Math.min(o.barWidth, width - fixed(columns)));
  return { columns, barWidth };
}

// An ANSI colour sequence (SGR), as paint() writes them; built from a string, the linter refuses \x1b in a literal.
const SGR = "\x1b\\[[0-9;]*m";

/** Visible characters of `s` (ANSI colour sequences take none). */
export function visible(s: string): number {
  return s.replace(new RegExp(SGR, "g"), "").length;
}

/** `s` cut to `width` visible characters (an ellipsis marks the cut), its colours kept closed. */
export function clip(s: string, width = Infinity): string {
  if (visible(s) <= width) return s;
  let out = "";
  let n = 0;
  for (const part of s.split(new RegExp(`(${SGR})`))) {
    if (n >= width - 1) break;
    if (part.startsWith("\x1b[")) {
      out += part;
      continue;
    }
    const room = width - 1 - n;
    if (room <= 0) break;
    out += part.slice(0, room);
    n += Math.min(part.length, room);
  }
  return out + "…" + (out.includes("\x1b[") ? "\x1b[0m" : "");
}

/** Items joined by `sep` into lines of at most `width` visible characters, each after `indent`. */
function wrap(items: string[], indent: string, width = Infinity, sep = " "): string[] {
  const lines: string[] = [];
  let line = "";
  for (const it of items) {
    const next = line ? `${line}${sep}${it}` : it;
    if (line && indent.length + visible(next) > width) {
      lines.push(indent + line);
      line = it;
    } else line = next;
  }
  if (line) lines.push(indent + line);
  return lines.map((l) => clip(l, width));
}

/** The column header. */
export function header(o: FrameOptions): string {
  const { columns, barWidth } = layout(o);
  return clip(
    `${"HOST".padEnd(NAME)} ${"SCOREBOARD".padEnd(barWidth + 2)} ${
      columns.map((c) => c.name.padStart(c.w)).join(" ")
    }  ALERTS`,
    o.width,
  );
}

/**
 * A host's history line: requests/s and busy workers as sparklines with their largest value, as wide as
 * the terminal allows (at most the history's points); none when too narrow or without history.
 */
function historyLine(v: HostView, o: FrameOptions): string[] {
  const h = v.history;
  if (!h) return [];
  const maxOf = (xs: (number | null)[]) => Math.max(0, ...xs.filter((x): x is number => x !== null));
  const req = `≤${maxOf(h.requestsPerS).toFixed(1)}`;
  const busy = `≤${maxOf(h.busy).toFixed(0)}`;
  const minutes = Math.round((h.requestsPerS.length * h.stepS) / 60);
  const label = `${minutes}m req/s `;
  const rest = label.length + 1 + req.length + "  busy ".length + 1 + busy.length;
  const n = Math.min(h.requestsPerS.length, Math.floor(((o.width ?? Infinity) - (NAME + 1) - rest) / 2));
  if (n < 5) return [];
  return [
    `${" ".repeat(NAME + 1)}${label}${paint(o.colour, "36", sparkline(h.requestsPerS, n))} ${req}  busy ${
      paint(o.colour, "31", sparkline(h.busy, n))
    } ${busy}`,
  ];
}

/** The lines of one host: its figures, its history, then the count of each of the 11 states. */
export function hostLines(v: HostView, o: FrameOptions): string[] {
  const name = printable(v.host).padEnd(NAME);
  if (v.state === "down") {
    return [
      clip(
        `${name} ${paint(o.colour, "35;1", `UNREACHABLE: ${printable(v.reason ?? "no answer")}`)}`,
        o.width,
      ),
    ];
  }
  const { columns, barWidth } = layout(o);
  const cells = barCells(v.scoreboard, barWidth);
  const bar = cells.map((s) => paint(o.colour, s.sgr, s.char)).join("") +
    " ".repeat(Math.max(0, barWidth - cells.length));
  const alerts = v.alerts.length
    ? paint(o.colour, "31;1", `${v.alerts.length} firing: ${v.alerts.map(printable).join(", ")}`)
    : "none";
  const main = `${name} [${bar}] ${columns.map((c) => c.cell(v).padStart(c.w)).join(" ")}  ${alerts}`;
  const indent = " ".repeat(NAME + 1);
  const counts = wrap(
    STATES.map((s) => `${paint(o.colour, s.sgr, s.char)}:${s.state}=${v.scoreboard[s.state] ?? 0}`),
    indent,
    o.width,
  );
  const lines = [clip(main, o.width), ...historyLine(v, o), ...counts];
  if (v.state === "stale") {
    lines.push(clip(indent + paint(o.colour, "33;1", `STALE: ${printable(v.reason ?? "")}`), o.width));
  }
  return lines;
}

/** The whole frame: title, header, then each host in inventory order. */
export function renderFrame(views: HostView[], o: FrameOptions): string {
  const legend = wrap(STATES.map((s) => `${paint(o.colour, s.sgr, s.char)} ${s.legend}`), "", o.width, "  ");
  return [
    clip(paint(o.colour, "1", o.title), o.width),
    header(o),
    ...views.flatMap((v) => hostLines(v, o)),
    "",
    ...legend,
  ].join("\n") + "\n";
}
