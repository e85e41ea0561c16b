/**
 * Copies of the configuration files a running container was started with, kept next to them while
 * the container is being replaced: a failed replacement puts them back before the previous
 * container starts again. The copy is made only when none exists, so after a run that died midway
 * it still holds what the running (old) container read, not an intermediate version.
 */
import { applyChange, type Change, changeText } from "../engine/change.ts";
import { quote } from "../base/quote.ts";
import type { Ssh } from "../transport/ssh.ts";

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

/** The files a step keeps previous copies of, with the paths of those copies: what its probe reads. */
export function withCopyPaths(kept: string[]): string[] {
  return [...kept, ...kept.flatMap((f) => Object.values(copyPaths(f)))];
}

/**
 * Script: keep the current content of each file (mode and owner too) unless a copy is already
 * kept; prints `made <index>` for each copy it made.
 */
export function keepScript(paths: string[]): string {
  return [
    "set -e",
    ...paths.map((p, i) => {
      const { copy, absent } = copyPaths(p);
      return `if [ ! -e ${quote(copy)} ] && [ ! -e ${quote(absent)} ]; then ` +
        `if [ -e ${quote(p)} ]; then cp -p ${quote(p)} ${quote(copy)}; else : > ${
          quote(absent)
        }; fi; echo 'made ${i}'; fi`;
    }),
  ].join("\n") + "\n";
}

/** Script: put every kept copy back in place (a file that did not exist is removed again). */
export function restoreScript(paths: string[]): string {
  return paths.map((p) => {
    const { copy, absent } = copyPaths(p);
    return `if [ -e ${quote(copy)} ]; then mv -f ${quote(copy)} ${quote(p)}; ` +
      `elif [ -e ${quote(absent)} ]; then rm -f ${quote(p)} ${quote(absent)}; fi`;
  }).join("\n") + "\n";
}

/** Script: forget the kept copies. */
export function dropScript(paths: string[]): string {
  return `rm -f ${paths.flatMap((p) => Object.values(copyPaths(p))).map(quote).join(" ")}\n`;
}

/**
 * The same change, keeping a copy of the files it overwrites first. When the change fails (promtool
 * rejected the candidate: the file was not replaced), the copies it made are dropped again, so a
 * failed run leaves nothing that the next run would have to clean up.
 */
export function keepingPrevious(ssh: Ssh, change: Change | null, paths: string[]): Change | null {
  // A mode-only restore changes no byte the container reads: no swap follows, so no copy to keep
  // (one made here would be left behind, and the next run would find it).
  if (!change || change.sameContent) return change;
  return {
    ...changeText(change),
    apply: async () => {
      const r = await ssh.run(keepScript(paths), { log: `keep a copy of ${paths.join(" ")}` });
      const made = [...r.stdout.matchAll(/^made (\d+)$/gm)].map((m) => paths[Number(m[1])]);
      try {
        await applyChange(ssh, change);
      } catch (e) {
        if (made.length) {
          await ssh.run(dropScript(made), { check: false, log: `rm the copies of ${made.join(" ")}` });
        }
        throw e;
      }
    },
  };
}

/** Every path whose copy or marker the probe found (probe `copyPaths` of each file to know). */
export function keptCopies(paths: string[], found: Record<string, string | null | undefined>): string[] {
  return paths.filter((p) => {
    const { copy, absent } = copyPaths(p);
    return (found[copy] ?? null) !== null || (found[absent] ?? null) !== null;
  });
}
