/** File and folder commands on the host (paths quoted for the remote shell, shown unquoted). */
import { Buffer } from "node:buffer";
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

/** Base64 of the content's bytes (UTF-8 for a string), in lines of 76 as `base64 -d` reads them. */
function toBase64(content: string | Uint8Array): string {
  return Buffer.from(content).toString("base64").replace(/.{1,76}/g, "$&\n");
}

/** The remote script that atomically writes a file (Ssh.writeFile runs it; Apache's edits embed it). */
export function writeFileScript(
  path: string,
  content: string | Uint8Array,
  opts: { mode: number; owner?: string },
) {
  const p = quote(path);
  const dir = quote(path.replace(/\/[^/]*$/, "") || "/");
  return [
    "set -eu",
    "umask 077",
    `mkdir -p ${dir}`,
    // A run cut off between mktemp and mv (lost connection, Ctrl-C: the EXIT trap doesn't run when
    // the shell is killed) leaves a temp file; the host lock means no other run is writing one now.
    `rm -f ${quote(path + ".isa-tmp.")}*`,
    `t=$(mktemp ${quote(path + ".isa-tmp.")}XXXXXX)`,
    `trap 'rm -f "$t"' EXIT`,
    `base64 -d > "$t" <<'ISA_EOF'`,
    toBase64(content) + "ISA_EOF",
    `chmod ${opts.mode.toString(8)} "$t"`,
    opts.owner ? `chown ${quote(opts.owner)} "$t"` : "",
    `mv -f "$t" ${p}`,
    "trap - EXIT",
  ].filter(Boolean).join("\n") + "\n";
}
