import { redact } from "./redact.ts";

const useColour = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");

/**
 * Our colours travel in a line as this per-process token, not as ESC: `say` and `warn` escape every
 * control character of the line (remote text included), then turn the token back into ESC. A host
 * cannot guess the token (random, private-use characters), so it cannot colour, move or hide anything.
 */
const MARK = Array.from(
  crypto.getRandomValues(new Uint16Array(6)),
  (n) => String.fromCharCode(0xe000 + (n % 0x1900)),
).join("");

/** `s` in SGR colour `code`, as `say`/`warn` print it (whether or not stdout is a terminal). */
export function sgr(code: number, s: string): string {
  return `${MARK}[${code}m${s}${MARK}[0m`;
}

function paint(code: number, s: string): string {
  return useColour ? sgr(code, s) : s;
}

/** A line as the terminal gets it: secrets redacted, control characters escaped, our colours kept. */
export function terminalLine(line: string): string {
  return printable(redact(line)).replaceAll(MARK, "\x1b");
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

/** Writes a line to stdout, secrets redacted and remote text escaped (`terminalLine`). */
export function say(line: string): void {
  console.log(terminalLine(line));
}

/** Writes a line to stderr, secrets redacted and remote text escaped (`terminalLine`). */
export function warn(line: string): void {
  console.error(terminalLine(line));
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
