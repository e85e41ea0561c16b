/**
 * The 11 worker states of Apache's scoreboard, in the order and with the characters mod_status draws
 * them (`_SRWKDCLGI.`; legend of httpd's modules/generators/mod_status.c), under the names
 * apache_exporter gives them as the `state` label of apache_scoreboard.
 */
import { SCOREBOARD_STATES } from "../verify/evidence.ts";

/** One scoreboard state: exporter label, mod_status character, legend and ANSI colour. */
export interface StateInfo {
  state: (typeof SCOREBOARD_STATES)[number];
  char: string;
  legend: string;
  /** SGR colour code used in the live view. */
  sgr: string;
}

/** The states in mod_status' legend order. */
export const STATES: readonly StateInfo[] = [
  { state: "idle", char: "_", legend: "waiting for connection", sgr: "32" },
  { state: "startup", char: "S", legend: "starting up", sgr: "36" },
  { state: "read", char: "R", legend: "reading request", sgr: "33;1" },
  { state: "reply", char: "W", legend: "sending reply", sgr: "31;1" },
  { state: "keepalive", char: "K", legend: "keepalive (read)", sgr: "34;1" },
  { state: "dns", char: "D", legend: "DNS lookup", sgr: "35" },
  { state: "closing", char: "C", legend: "closing connection", sgr: "35;1" },
  { state: "logging", char: "L", legend: "logging", sgr: "36;1" },
  { state: "graceful_stop", char: "G", legend: "gracefully finishing", sgr: "33" },
  { state: "idle_cleanup", char: "I", legend: "idle cleanup of worker", sgr: "34" },
  { state: "open_slot", char: ".", legend: "open slot with no current process", sgr: "2" },
];

/** Counts per state (exporter label → workers). */
export type Scoreboard = Record<string, number>;

/**
 * A bar of `width` cells drawn with mod_status' characters, each state taking a share of cells in
 * proportion to its workers (largest remainder), and every state with a worker at least one cell, so a
 * single busy worker among 400 open slots still shows.
 */
export function barCells(board: Scoreboard, width: number): StateInfo[] {
  const present = STATES.filter((s) => (board[s.state] ?? 0) > 0);
  const total = present.reduce((n, s) => n + board[s.state], 0);
  if (total === 0 || width <= 0) return [];
  const cells = new Map<StateInfo, number>();
  // Minimum one cell each, then the rest by share.
  const spare = Math.max(0, width - present.length);
  const exact = present.map((s) => ({ s, x: (board[s.state] / total) * spare }));
  for (const e of exact) cells.set(e.s, 1 + Math.floor(e.x));
  let left = Math.max(0, width - [...cells.values()].reduce((a, b) => a + b, 0));
  for (const e of [...exact].sort((a, b) => (b.x % 1) - (a.x % 1))) {
    if (left-- <= 0) break;
    cells.set(e.s, cells.get(e.s)! + 1);
  }
  return present.flatMap((s) => Array(cells.get(s)!).fill(s));
}

/** Workers busy as mod_status counts them: every state but idle (`_`) and open slots (`.`). */
export function busyWorkers(board: Scoreboard): number {
  return STATES.filter((s) => s.state !== "idle" && s.state !== "open_slot")
    .reduce((n, s) => n + (board[s.state] ?? 0), 0);
}
