/** File and folder commands on the host (paths quoted for the remote shell, shown unquoted). */
import { Buffer } from "node:buffer";
import { quote } from "../base/quote.ts";
import type { Command } from "./command.ts";
import { INSTALL_MARKER } from "../base/names.ts";

/** Removes a file (nothing when absent). */
export function removeFile(path: string): Command {
  return { script: `rm -f ${quote(path)}`, log: `rm -f ${path}` };
}

/** Renames `from` over `to` (the last step of a validated replacement). */
export function moveFile(from: string, to: string): Command {
  return { script: `mv -f ${quote(from)} ${quote(to)}`, log: `mv ${from} ${to}` };
}

/** What our install folder may hold before it carries our marker (a host deployed before markers). */
const OURS_UNMARKED = ["prometheus", "traefik"];

/**
 * Creates install folder `root` if needed and puts our marker file in it; refuses (exit 1, nothing
 * written) a folder that holds anything but our own subfolders: it is someone else's, and the marker
 * would let `uninstall --purge` remove it.
 */
export function claimInstallDir(root: string): Command {
  const d = quote(root);
  const marker = quote(`${root}/${INSTALL_MARKER}`);
  return {
    script: [
      "set -eu",
      `mkdir -p ${d}`,
      `if [ ! -f ${marker} ]; then`,
      `  other=$(ls -A ${d} | grep -vx${
        OURS_UNMARKED.map((n) => ` -e ${n}`).join("")
      } | head -n 3 | tr '\\n' ' ')`,
      `  if [ -n "$other" ]; then echo ${
        quote(`refusing ${root} as install_dir: it holds files that are not isa-monitoring's (`)
      }` +
      `"$other"${quote("): pick another install_dir")} >&2; exit 1; fi`,
      `  printf '%s\\n' ${quote(MARKER_TEXT)} > ${marker}`,
      `  chmod 644 ${marker}`,
      "fi",
    ].join("\n"),
    log: `mark ${root} as isa-monitoring's (${INSTALL_MARKER})`,
  };
}

/** The marker file's text, for whoever finds it. */
const MARKER_TEXT = "isa-monitoring's install folder: `deno task uninstall --purge` removes this folder " +
  "(and the SELinux relabel touches it) only while this file is here.";

/** Shell that exits 1 with a clear error unless `root` holds our marker (before `what` touches it). */
export function requireMarker(root: string, what: string): string {
  const why =
    `refusing to ${what} ${root}: it does not hold isa-monitoring's marker file ${INSTALL_MARKER} ` +
    `(a folder the deploy did not create or claim)`;
  return `[ -f ${quote(`${root}/${INSTALL_MARKER}`)} ] || { echo ${quote(why)} >&2; exit 1; }`;
}

/** Removes our install folder and everything in it, only while it holds our marker file. */
export function removeInstallDir(root: string): Command {
  return { script: `${requireMarker(root, "remove")}\nrm -rf -- ${quote(root)}`, log: `rm -rf ${root}` };
}

/**
 * Creates folder `dir` if needed and gives it `owner` (`uid:gid`) and `mode`. With `migrateFrom` (the
 * folder's current `uid:gid`), what inside still belongs to that old owner passes to `owner` too
 * (`chown -R --from`): a migration moves only the files it knows, never a link or file someone else put there.
 */
export function ensureDir(dir: string, owner: string, mode: string, migrateFrom?: string): Command {
  const d = quote(dir);
  const inside = migrateFrom ? `chown -R --from=${quote(migrateFrom)} ${quote(owner)} ${d}; ` : "";
  return {
    script: `set -e; mkdir -p ${d}; ${inside}chown ${quote(owner)} ${d}; chmod ${mode} ${d}`,
    log: `mkdir/chown/chmod ${dir}`,
  };
}

/** Prints install folder `root`'s size (`du -sh`) and `marked` or `unmarked`; nothing when it is absent. */
export function installDirState(root: string): Command {
  const d = quote(root);
  return {
    script: `[ -d ${d} ] || exit 0; printf '%s %s\\n' "$(du -sh ${d} | cut -f1)" ` +
      `"$([ -f ${quote(`${root}/${INSTALL_MARKER}`)} ] && echo marked || echo unmarked)"`,
    log: `du -sh ${root}; is it marked`,
  };
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
