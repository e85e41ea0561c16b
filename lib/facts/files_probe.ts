/** One-round-trip probe of the files and folders a step manages on the host. */
import { quote } from "../transport/quote.ts";
import type { Ssh } from "../transport/ssh.ts";
import { fileSection, PROBE_FUNCTIONS, sections } from "./probe.ts";

/** What the probe found. */
export interface HostProbe {
  /** Content of each file asked for; null when absent. */
  files: Record<string, string | null>;
  /** `uid:gid mode` of each file asked for; null when absent (so mode drift is seen, not only content). */
  fileStats: Record<string, { owner: string; mode: string } | null>;
  /** `uid:gid mode` of each folder asked for; null when absent. */
  dirs: Record<string, { owner: string; mode: string } | null>;
}

/** The probe script, in the facts probe's format: a file section per file, then one section per folder. */
export function probeScript(files: string[], dirs: string[]): string {
  const lines = ["set -u", PROBE_FUNCTIONS.trim()];
  files.forEach((f, i) => {
    lines.push(`isa_file file-${i} ${quote(f)}`);
    lines.push(`isa_sec stat-${i}; if [ -f ${quote(f)} ]; then stat -c '%u:%g %a' ${quote(f)}; fi`);
  });
  dirs.forEach((d, i) =>
    lines.push(`isa_sec dir-${i}; if [ -d ${quote(d)} ]; then stat -c '%u:%g %a' ${quote(d)}; fi`)
  );
  lines.push("isa_sec end");
  return lines.join("\n") + "\n";
}

/** Parses the probe's output. */
export function parseProbe(stdout: string, files: string[], dirs: string[]): HostProbe {
  const s = sections(stdout);
  if (!s.has("end")) throw new Error("host probe output is incomplete");
  const out: HostProbe = { files: {}, fileStats: {}, dirs: {} };
  const stat = (key: string) => {
    const [owner, mode] = (s.get(key)?.[0] ?? "").split(" ");
    return owner && mode ? { owner, mode } : null;
  };
  files.forEach((f, i) => {
    out.files[f] = fileSection(s.get(`file-${i}`));
    out.fileStats[f] = out.files[f] === null ? null : stat(`stat-${i}`);
  });
  dirs.forEach((d, i) => out.dirs[d] = stat(`dir-${i}`));
  return out;
}

/** Reads files and folder stats in one round trip. */
export async function probeHost(ssh: Ssh, files: string[], dirs: string[] = []): Promise<HostProbe> {
  const r = await ssh.run(probeScript(files, dirs), { log: `probe ${[...files, ...dirs].join(" ")}` });
  return parseProbe(r.stdout, files, dirs);
}
