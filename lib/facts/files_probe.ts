/** Probe of the files and folders a step manages on the host (part of the batched probe, or alone). */
import { quote } from "../base/quote.ts";
import type { Ssh } from "../transport/ssh.ts";
import { exec } from "../transport/exec.ts";
import { fileSection, PROBE_FUNCTIONS, sections } from "../base/probe_sections.ts";

/** Owner (`uid:gid`) and octal mode of a file or folder. */
export interface Stat {
  owner: string;
  mode: string;
}

/** What the probe found. */
export interface HostProbe {
  /** Content of each file asked for; null when absent. */
  files: Record<string, string | null>;
  /** `uid:gid mode` of each file asked for; null when absent (so mode drift is seen, not only content). */
  fileStats: Record<string, Stat | null>;
  /** `uid:gid mode` of each folder asked for; null when absent. */
  dirs: Record<string, Stat | null>;
  /** `uid:gid mode` of files whose content must not leave the host (private keys); null when absent. */
  stats: Record<string, Stat | null>;
}

/** The files, folders and stat-only files a plan reads. */
export interface FileNeeds {
  files?: string[];
  dirs?: string[];
  stats?: string[];
}

/**
 * Shell lines in the facts probe's format: a file section per file (its content), then one `stat` of
 * every path at once (a process per path would cost more than all the rest of a no-op's probe).
 */
export function fileNeedsScript(needs: FileNeeds): string {
  const lines: string[] = [];
  (needs.files ?? []).forEach((f, i) => lines.push(`isa_file file-${i} ${quote(f)}`));
  const paths = [...new Set([...(needs.files ?? []), ...(needs.dirs ?? []), ...(needs.stats ?? [])])];
  if (paths.length) {
    // Absent paths print nothing (their error goes to /dev/null); the name comes last, so any
    // character in it survives.
    lines.push(`isa_sec stats; stat -c '%F|%u:%g %a|%n' -- ${paths.map(quote).join(" ")} 2>/dev/null; true`);
  }
  return lines.length ? lines.join("\n") + "\n" : "";
}

/** The files' part of probe output split into sections. */
export function parseFileNeeds(s: Map<string, string[]>, needs: FileNeeds): HostProbe {
  const out: HostProbe = { files: {}, fileStats: {}, dirs: {}, stats: {} };
  const found = new Map<string, { type: string; stat: Stat }>();
  for (const line of s.get("stats") ?? []) {
    const i = line.indexOf("|");
    const j = line.indexOf("|", i + 1);
    if (i < 0 || j < 0) continue;
    const [owner, mode] = line.slice(i + 1, j).split(" ");
    if (owner && mode) found.set(line.slice(j + 1), { type: line.slice(0, i), stat: { owner, mode } });
  }
  // As `[ -f ]` and `[ -d ]` see them: a symlink counts (and its own mode, 777, shows as drift).
  const of = (path: string, type: string) => {
    const f = found.get(path);
    return f && (f.type === type || f.type === "symbolic link") ? f.stat : null;
  };
  (needs.files ?? []).forEach((f, i) => {
    out.files[f] = fileSection(s.get(`file-${i}`));
    out.fileStats[f] = out.files[f] === null ? null : found.get(f)?.stat ?? null;
  });
  for (const d of needs.dirs ?? []) out.dirs[d] = of(d, "directory");
  for (const f of needs.stats ?? []) out.stats[f] = of(f, "regular file") ?? of(f, "regular empty file");
  return out;
}

/** The probe script alone (one round trip), ending with an `end` section. */
export function probeScript(files: string[], dirs: string[]): string {
  return ["set -u", PROBE_FUNCTIONS.trim(), fileNeedsScript({ files, dirs }).trimEnd(), "isa_sec end"].join(
    "\n",
  ) + "\n";
}

/** Parses the output of `probeScript`. */
export function parseProbe(stdout: string, files: string[], dirs: string[]): HostProbe {
  const s = sections(stdout);
  if (!s.has("end")) throw new Error("host probe output is incomplete");
  return parseFileNeeds(s, { files, dirs });
}

/** Reads files and folder stats in one round trip (after a change; plans read the batched probe). */
export async function probeHost(ssh: Ssh, files: string[], dirs: string[] = []): Promise<HostProbe> {
  const r = await exec(ssh, {
    script: probeScript(files, dirs),
    log: `probe ${[...files, ...dirs].join(" ")}`,
  });
  return parseProbe(r.stdout, files, dirs);
}
