/** Probe of the files and folders a step manages on the host (part of the batched probe, or alone). */
import { quote } from "../transport/quote.ts";
import type { Ssh } from "../transport/ssh.ts";
import { fileSection, PROBE_FUNCTIONS, sections } from "./probe.ts";

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

/** Shell lines in the facts probe's format: a file section and a stat section per file, one per folder. */
export function fileNeedsScript(needs: FileNeeds): string {
  const lines: string[] = [];
  const stat = (key: string, test: string, path: string) =>
    lines.push(`isa_sec ${key}; if [ ${test} ${quote(path)} ]; then stat -c '%u:%g %a' ${quote(path)}; fi`);
  (needs.files ?? []).forEach((f, i) => {
    lines.push(`isa_file file-${i} ${quote(f)}`);
    stat(`stat-${i}`, "-f", f);
  });
  (needs.dirs ?? []).forEach((d, i) => stat(`dir-${i}`, "-d", d));
  (needs.stats ?? []).forEach((f, i) => stat(`statonly-${i}`, "-f", f));
  return lines.length ? lines.join("\n") + "\n" : "";
}

/** The files' part of probe output split into sections. */
export function parseFileNeeds(s: Map<string, string[]>, needs: FileNeeds): HostProbe {
  const out: HostProbe = { files: {}, fileStats: {}, dirs: {}, stats: {} };
  const stat = (key: string): Stat | null => {
    const [owner, mode] = (s.get(key)?.[0] ?? "").split(" ");
    return owner && mode ? { owner, mode } : null;
  };
  (needs.files ?? []).forEach((f, i) => {
    out.files[f] = fileSection(s.get(`file-${i}`));
    out.fileStats[f] = out.files[f] === null ? null : stat(`stat-${i}`);
  });
  (needs.dirs ?? []).forEach((d, i) => out.dirs[d] = stat(`dir-${i}`));
  (needs.stats ?? []).forEach((f, i) => out.stats[f] = stat(`statonly-${i}`));
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
  const r = await ssh.run(probeScript(files, dirs), { log: `probe ${[...files, ...dirs].join(" ")}` });
  return parseProbe(r.stdout, files, dirs);
}
