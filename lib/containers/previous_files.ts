/**
 * Copies of the configuration files a running container was started with, kept next to them while
 * the container is being replaced: a failed replacement puts them back before the previous
 * container starts again. The copy is made only when none exists, so after a run that died midway
 * it still holds what the running (old) container read, not an intermediate version. Their scripts
 * are in lib/commands/previous_files.ts.
 */
import { applyChange, type Change, changeText } from "../engine/change.ts";
import type { Ssh } from "../transport/ssh.ts";
import { exec } from "../transport/exec.ts";
import { copyPaths, dropCopies, keepCopies } from "../commands/previous_files.ts";

/** The files a step keeps previous copies of, with the paths of those copies: what its probe reads. */
export function withCopyPaths(kept: string[]): string[] {
  return [...kept, ...kept.flatMap((f) => Object.values(copyPaths(f)))];
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
      const r = await exec(ssh, keepCopies(paths));
      const made = [...r.stdout.matchAll(/^made (\d+)$/gm)].map((m) => paths[Number(m[1])]);
      try {
        await applyChange(ssh, change);
      } catch (e) {
        if (made.length) {
          await exec(ssh, dropCopies(made), { check: false });
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
