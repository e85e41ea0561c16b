import { redact } from "./redact.ts";

const useColour = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");

function paint(code: number, s: string): string {
  return useColour ? `\x1b[${code}m${s}\x1b[0m` : s;
}

/** Colour helpers, no-ops when stdout is not a terminal or NO_COLOR is set. */
export const colour = {
  green: (s: string) => paint(32, s),
  yellow: (s: string) => paint(33, s),
  red: (s: string) => paint(31, s),
  magenta: (s: string) => paint(35, s),
  dim: (s: string) => paint(2, s),
  bold: (s: string) => paint(1, s),
};

/** Writes a line to stdout with secrets redacted. */
export function say(line: string): void {
  console.log(redact(line));
}

/** Writes a line to stderr with secrets redacted. */
export function warn(line: string): void {
  console.error(redact(line));
}

/** Colours a status word. */
export function statusWord(status: string): string {
  switch (status) {
    case "ok":
      return colour.green(status);
    case "changed":
    case "would change":
      return colour.yellow(status);
    case "failed":
      return colour.red(status);
    default:
      return colour.magenta(status);
  }
}

/**
 * Remote (or otherwise foreign) text made safe for the operator's terminal: control characters
 * (escape sequences, carriage returns, backspaces, C1 codes) and bidirectional overrides are shown
 * escaped (`\x1b`), so a host cannot repaint, hide or reorder what the operator reads. Newlines and tabs
 * stay.
 */
export function printable(text: string): string {
  return text.replaceAll("\r\n", "\n").replace(
    // deno-lint-ignore no-control-regex
    /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => {
      const code = c.codePointAt(0)!;
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`;
    },
  );
}
