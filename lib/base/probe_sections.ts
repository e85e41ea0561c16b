/**
 * The probe's output protocol, shared by every layer that writes or reads a probe: the facts, the
 * steps' own sections, status and verify-metrics.
 */

/**
 * Shell functions of every probe's output format: `@@name` opens a section (raw command output
 * follows); a file is a section whose first line is `+` followed by its base64 (any bytes survive), or
 * `-` when it is absent (an empty file and a missing one differ). `sections` and `fileSection` read it.
 * `$nl` is a newline, for the sections that split output with the shell's own patterns (no process).
 */
export const PROBE_FUNCTIONS = `nl='
'
isa_sec() { echo "@@$1"; }
isa_file() { echo "@@$1"; if [ -f "$2" ]; then echo +; base64 < "$2"; else echo -; fi; }
`;

/** Splits probe output into its sections. */
export function sections(output: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur: string[] | null = null;
  for (const line of output.split("\n")) {
    const m = /^@@([A-Za-z0-9-]+)$/.exec(line);
    if (m) {
      cur = [];
      out.set(m[1], cur);
    } else if (cur) cur.push(line);
  }
  for (const v of out.values()) while (v.length && v.at(-1) === "") v.pop();
  return out;
}

/** A file's section as `isa_file` prints it: its content, or null when absent (or the section missing). */
export function fileSection(lines: string[] | undefined): string | null {
  if (!lines || lines[0] !== "+") return null;
  const bin = atob(lines.slice(1).join("").replace(/\s+/g, ""));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}
