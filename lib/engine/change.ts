/** One planned change on a host: a sentence for people, an optional diff, and how to apply it. */
import type { Command } from "../commands/command.ts";
import { exec } from "../transport/exec.ts";
import type { Ssh } from "../transport/ssh.ts";

/** What every change shows: its sentence and diff. */
export interface ChangeText {
  /** Human sentence, e.g. "write /etc/apache2/conf-available/EPFL_isa.conf". */
  summary: string;
  /** Unified diff of a file's content, already redacted of secrets. */
  diff?: string;
  /**
   * The file keeps its content; only its mode or owner is restored. Containers that read it see the
   * same bytes, so nothing keeps a copy of the previous version for a rollback.
   */
  sameContent?: boolean;
}

/** A change that is one remote script: carried as data, so a test reads the exact script a plan runs. */
export interface CommandChange extends ChangeText {
  /** The script run (by transport/exec.ts) when the change is applied; not run under `--check`. */
  command: Command;
  /** Never both: `applyChange` would have to choose. */
  apply?: never;
}

/**
 * A change that is more than one remote script: a file written (Ssh.writeFile, with its follow-up), a
 * container or network made through the Docker API, a script whose output decides what follows (a
 * fresh probe, a progress line, a clearer error), a change wrapped by another (copies kept first).
 */
export interface ApplyChange extends ChangeText {
  /** Performs the change; not called under `--check`. */
  apply: () => Promise<void>;
  /** Never both: a wrapper takes the text (`changeText`) and gives its own `apply`. */
  command?: never;
}

/**
 * One planned change: a `command` when applying it is running one remote script, an `apply` closure
 * otherwise. Apply either through `applyChange`.
 */
export type Change = CommandChange | ApplyChange;

/** Applies `c` on the host of `ssh`: runs its command, or calls its closure. */
export async function applyChange(ssh: Ssh, c: Change): Promise<void> {
  if (c.command) await exec(ssh, c.command);
  else await c.apply();
}

/** The text of `c` without how it applies, for a change that wraps it with its own `apply`. */
export function changeText(c: Change): ChangeText {
  const { apply: _apply, command: _command, ...text } = c;
  return text;
}
