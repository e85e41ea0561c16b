/** The kept copies' commands (see lib/containers/previous_files.ts for when copies are kept). */
import type { Command } from "./command.ts";
import { quote } from "../base/quote.ts";

/**
 * Suffix of a kept copy. Last in the name on purpose: Traefik's file provider loads `*.yml` from its
 * watched folder, and a `isa.yml.isa-prev` is not one.
 */
export const COPY_SUFFIX = ".isa-prev";
/** Marker of a file that did not exist before (put back = removed). */
export const ABSENT_SUFFIX = ".isa-prev-absent";

/** The copy and the absence marker of `path`. */
export function copyPaths(path: string): { copy: string; absent: string } {
  return { copy: path + COPY_SUFFIX, absent: path + ABSENT_SUFFIX };
}

/**
 * Keeps the current content of each file (mode and owner too) unless a copy is already
 * kept; prints `made <index>` for each copy it made.
 */
export function keepCopies(paths: string[]): Command {
  const script = [
    "set -e",
    ...paths.map((p, i) => {
      const { copy, absent } = copyPaths(p);
      return `if [ ! -e ${quote(copy)} ] && [ ! -e ${quote(absent)} ]; then ` +
        `if [ -e ${quote(p)} ]; then cp -p ${quote(p)} ${quote(copy)}; else : > ${
          quote(absent)
        }; fi; echo 'made ${i}'; fi`;
    }),
  ].join("\n") + "\n";
  return { script, log: `keep a copy of ${paths.join(" ")}` };
}

/** Puts every kept copy back in place (a file that did not exist is removed again). */
export function restoreCopies(paths: string[]): Command {
  const script = paths.map((p) => {
    const { copy, absent } = copyPaths(p);
    return `if [ -e ${quote(copy)} ]; then mv -f ${quote(copy)} ${quote(p)}; ` +
      `elif [ -e ${quote(absent)} ]; then rm -f ${quote(p)} ${quote(absent)}; fi`;
  }).join("\n") + "\n";
  return { script, log: `put back ${paths.join(" ")}` };
}

/** Forgets the kept copies. */
export function dropCopies(paths: string[]): Command {
  return {
    script: `rm -f ${paths.flatMap((p) => Object.values(copyPaths(p))).map(quote).join(" ")}\n`,
    log: `rm the copies of ${paths.join(" ")}`,
  };
}
