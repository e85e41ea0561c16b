/**
 * Validate-then-replace, the one place for both of its forms. A service that checks its whole
 * configuration in place (Apache's `-t`) gets one script: back up our file, edit, validate, and
 * restore on a rejection. A file checked on its own (promtool, in a one-shot container) is written
 * next to it as a candidate, validated there, then renamed over it, or dropped.
 */
import { quote } from "../base/quote.ts";
import type { Command } from "./command.ts";
import { moveFile } from "./files.ts";

/** An in-place edit of `file`, validated by a command of the service, as `validatedEditScript` runs it. */
export interface ValidatedEdit {
  /** The file we own (backed up first, restored when the edit or the validation fails). */
  file: string;
  /** Shell that changes the configuration (write or remove our file, enable or disable it). */
  change: string;
  /** Shell that undoes what `change` did besides our file, when validation fails. */
  undo?: string;
  /** The validating command (its output is the error shown on a rejection). */
  validate: string;
  /** Shell run once the new configuration passed (e.g. a graceful reload). */
  then: string;
}

/**
 * The script of an in-place validated edit: exit 1 when the edit itself fails, 3 when the validator
 * rejects the result (its message on stderr); either way our file is restored and the edit undone.
 */
export function validatedEditScript(edit: ValidatedEdit): string {
  return `set -u
f=${quote(edit.file)}; bak="$f.isa-bak"; had=0
if [ -f "$f" ]; then cp -p "$f" "$bak"; had=1; fi
restore() {
  if [ $had = 1 ]; then mv -f "$bak" "$f"; else rm -f "$f"; fi
  ${edit.undo?.trim() || ":"}
  return 0
}
(
${edit.change.trim()}
) || { restore; echo "could not change $f" >&2; exit 1; }
if ! out=$(${edit.validate} 2>&1); then restore; echo "$out" >&2; exit 3; fi
rm -f "$bak"
${edit.then}`;
}

/** Where the candidate of `path` is written to be validated: a hidden file next to it. */
export function candidateOf(path: string): string {
  return path.replace(/([^/]+)$/, ".$1.candidate");
}

/** Puts a validated candidate in place. */
export function commitCandidate(path: string): Command {
  return moveFile(candidateOf(path), path);
}

/** Drops a rejected candidate (-v shows the command itself). */
export function dropCandidate(path: string): Command {
  return { script: `rm -f ${quote(candidateOf(path))}` };
}
