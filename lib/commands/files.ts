/** File and folder commands on the host (paths quoted for the remote shell, shown unquoted). */
import { quote } from "../base/quote.ts";
import type { Command } from "./command.ts";

/** Removes a file (nothing when absent). */
export function removeFile(path: string): Command {
  return { script: `rm -f ${quote(path)}`, log: `rm -f ${path}` };
}

/** Renames `from` over `to` (the last step of a validated replacement). */
export function moveFile(from: string, to: string): Command {
  return { script: `mv -f ${quote(from)} ${quote(to)}`, log: `mv ${from} ${to}` };
}

/** Removes a folder and everything in it (`--` so no name reads as an option). */
export function removeTree(root: string): Command {
  return { script: `rm -rf -- ${quote(root)}`, log: `rm -rf ${root}` };
}

/** Creates folder `dir` if needed and gives it `owner` (`uid:gid`; everything inside too with `recursive`) and `mode`. */
export function ensureDir(dir: string, owner: string, mode: string, recursive = false): Command {
  const d = quote(dir);
  return {
    script: `set -e; mkdir -p ${d}; chown ${recursive ? "-R " : ""}${quote(owner)} ${d}; chmod ${mode} ${d}`,
    log: `mkdir/chown/chmod ${dir}`,
  };
}

/** Prints the size of folder `root` (`du -sh`), nothing when it is absent. */
export function folderSize(root: string): Command {
  return { script: `[ -d ${quote(root)} ] && du -sh ${quote(root)} | cut -f1; true`, log: `du -sh ${root}` };
}

/** Gives file `path` to `owner` (`uid:gid`) with mode 0600 (-v shows the command itself). */
export function ownPrivateFile(path: string, owner: string): Command {
  return { script: `chown ${quote(owner)} ${quote(path)} && chmod 600 ${quote(path)}` };
}
