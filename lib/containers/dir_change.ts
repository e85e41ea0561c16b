/** The change that makes one of our folders, or fixes its owner and mode. */
import type { Change } from "../engine/change.ts";
import { type HostProbe } from "../facts/files_probe.ts";
import { ensureDir } from "../commands/files.ts";

/**
 * The change that creates folder `dir` with `mode` and `opts.owner` (`uid:gid`, root's by default),
 * or fixes them; null when right. `recursiveOwner`: when the folder had another owner (a migration),
 * what inside belonged to that owner passes to the new one (`chown -R --from`); else only the folder.
 */
export function dirChange(
  dir: string,
  mode: string,
  probe: HostProbe,
  opts: { recursiveOwner?: boolean; why?: string; owner?: string } = {},
): Change | null {
  const owner = opts.owner ?? "0:0";
  const cur = probe.dirs[dir];
  if (cur === undefined) throw new Error(`dirChange: ${dir} was not probed`);
  if (cur && cur.owner === owner && cur.mode === mode) return null;
  const what = cur
    ? `set owner ${owner} and mode ${mode} on ${dir} (was ${cur.owner} ${cur.mode})`
    : `create folder ${dir}`;
  return {
    summary: opts.why && cur ? `${what}: ${opts.why}` : what,
    command: ensureDir(
      dir,
      owner,
      mode,
      opts.recursiveOwner && cur && cur.owner !== owner ? cur.owner : undefined,
    ),
  };
}
