import { redact } from "../inventory/redact.ts";

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
