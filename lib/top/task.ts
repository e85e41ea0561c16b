/**
 * `deno task top`: every host's scoreboard, refreshed every 2 s, in the terminal's alternate screen
 * (`q` or Ctrl-C restores it); `--once` one plain frame, `--json` one document.
 */
import { UsageError } from "../base/errors.ts";
import { EXIT } from "../engine/report.ts";
import { usageGuard } from "../fleet/start.ts";
import { fleetExitCode, printDocument, startFleet } from "../fleet/fleet.ts";
import { renderFrame } from "./frame.ts";
import { TopSource } from "./source.ts";
import type { HostView } from "./view.ts";

const EXTRA = {
  once: {
    type: "boolean",
    default: false,
    help: "print one plain frame and exit (what a pipe gets too)",
    example: "deno task top --once --inventory lab",
  },
} as const;
/** Refresh period of the live view. */
export const REFRESH_MS = 2000;

/** The run's exit code through the shared rule: a host without answer is unreachable, a stale one failed. */
export function topExitCode(views: HostView[]): number {
  return fleetExitCode(
    views,
    (v) => v.state === "down" ? "unreachable" : v.state === "stale" ? "failed" : "ok",
  );
}

function title(source: TopSource): string {
  return `isa-monitoring top: ${source.hosts.length} host(s) from ${source.label}, ${
    new Date().toISOString().replace(/\.\d+Z$/, "Z")
  }`;
}

/**
 * Columns the frame may use: the terminal's, else `$COLUMNS`, else 80 (a pipe or a file gets what a
 * default terminal shows, so a frame pasted anywhere does not wrap). A terminal that reports no size
 * (0 columns: a pty nobody sized, as `script` or a serial console gives) counts as none.
 */
export function columns(
  size: () => { columns: number } = () => Deno.consoleSize(),
  env = Deno.env.get("COLUMNS"),
): number {
  const fallback = () => {
    const n = Number(env);
    return Number.isInteger(n) && n >= 20 ? n : 80;
  };
  try {
    const c = size().columns;
    return c > 0 ? c : fallback();
  } catch {
    return fallback();
  }
}

const enc = new TextEncoder();
const write = (s: string) => Deno.stdout.writeSync(enc.encode(s));

async function live(source: TopSource): Promise<number> {
  const tty = Deno.stdin.isTerminal();
  // Alternate screen, hidden cursor; undone on every way out.
  write("\x1b[?1049h\x1b[?25l");
  let done = false;
  let wake: () => void = () => {};
  const stop = () => {
    done = true;
    wake();
  };
  const restore = () => {
    if (tty) Deno.stdin.setRaw(false);
    write("\x1b[?25h\x1b[?1049l");
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  let views: HostView[] = [];
  try {
    if (tty) {
      Deno.stdin.setRaw(true, { cbreak: true });
      (async () => {
        const buf = new Uint8Array(16);
        while (!done) {
          const n = await Deno.stdin.read(buf);
          // q, Q, Ctrl-C (raw mode delivers it as a byte), or end of input.
          if (n === null || buf.subarray(0, n).some((b) => b === 0x71 || b === 0x51 || b === 0x03)) stop();
        }
      })();
    }
    while (!done) {
      const t0 = Date.now();
      views = await source.views();
      const frame = renderFrame(views, {
        colour: !Deno.env.get("NO_COLOR"),
        barWidth: 50,
        title: title(source),
        width: columns(),
      });
      write("\x1b[H\x1b[2J" + frame.replaceAll("\n", "\r\n") + "\r\nq or Ctrl-C to quit");
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, Math.max(0, REFRESH_MS - (Date.now() - t0)));
      });
    }
  } finally {
    restore();
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
  return topExitCode(views);
}

/**
 * Entry point; returns the exit code. The fleet runner's start (flags, selection, secrets) and JSON
 * document, but not its pool: every frame asks every host at once (TopSource.views), again and again.
 */
export function top(args: string[]): Promise<number> {
  return usageGuard(async () => {
    const run = await startFleet("top", args, {
      extra: EXTRA,
      validate: (opts) => {
        if (opts.check || opts.diff) throw new UsageError("top only reads: --check and --diff don't apply");
      },
    });
    if (!run) return EXIT.ok;
    const source = new TopSource(run.hosts, await run.secrets());
    return await show(source, Boolean(run.extra.once), run.opts.json);
  });
}

async function show(source: TopSource, once: boolean, json: boolean): Promise<number> {
  try {
    if (json) {
      const views = await source.views();
      const code = topExitCode(views);
      printDocument("top", code, { source: source.label }, { hosts: views });
      return code;
    }
    if (once || !Deno.stdout.isTerminal()) {
      const views = await source.views();
      write(renderFrame(views, { colour: false, barWidth: 40, title: title(source), width: columns() }));
      return topExitCode(views);
    }
    return await live(source);
  } finally {
    source.close();
  }
}
