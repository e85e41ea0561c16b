/** One-round-trip probe of the files and folders a step manages on the host. */
import { quote } from "../transport/quote.ts";
import type { Ssh } from "../transport/ssh.ts";

/** What the probe found. */
export interface HostProbe {
  /** Content of each file asked for; null when absent. */
  files: Record<string, string | null>;
  /** `uid:gid mode` of each file asked for; null when absent (so mode drift is seen, not only content). */
  fileStats: Record<string, { owner: string; mode: string } | null>;
  /** `uid:gid mode` of each folder asked for; null when absent. */
  dirs: Record<string, { owner: string; mode: string } | null>;
}

const MARK = "@@isa-probe";

/** The probe script: each file base64-encoded between markers (contents may hold anything), then folder stats. */
export function probeScript(files: string[], dirs: string[]): string {
  const lines = ["set -u"];
  files.forEach((f, i) => {
    lines.push(
      `if [ -f ${quote(f)} ]; then echo "${MARK} file ${i} Y $(stat -c '%u:%g %a' ${quote(f)})"; base64 < ${
        quote(f)
      }; else echo '${MARK} file ${i} N'; fi`,
    );
  });
  dirs.forEach((d, i) => {
    lines.push(
      `if [ -d ${quote(d)} ]; then echo "${MARK} dir ${i} Y $(stat -c '%u:%g %a' ${
        quote(d)
      })"; else echo '${MARK} dir ${i} N'; fi`,
    );
  });
  lines.push(`echo '${MARK} end'`);
  return lines.join("\n") + "\n";
}

function fromBase64(b64: string): string {
  const bin = atob(b64.replace(/\s+/g, ""));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** Parses the probe's output. */
export function parseProbe(stdout: string, files: string[], dirs: string[]): HostProbe {
  if (!stdout.includes(`${MARK} end`)) throw new Error("host probe output is incomplete");
  const out: HostProbe = { files: {}, fileStats: {}, dirs: {} };
  const parts = stdout.split(`${MARK} `).slice(1);
  for (const part of parts) {
    const nl = part.indexOf("\n");
    const head = (nl < 0 ? part : part.slice(0, nl)).split(" ");
    const body = nl < 0 ? "" : part.slice(nl + 1);
    if (head[0] === "file") {
      out.files[files[Number(head[1])]] = head[2] === "Y" ? fromBase64(body) : null;
      out.fileStats[files[Number(head[1])]] = head[2] === "Y" ? { owner: head[3], mode: head[4] } : null;
    } else if (head[0] === "dir") {
      out.dirs[dirs[Number(head[1])]] = head[2] === "Y" ? { owner: head[3], mode: head[4] } : null;
    }
  }
  return out;
}

/** Reads files and folder stats in one round trip. */
export async function probeHost(ssh: Ssh, files: string[], dirs: string[] = []): Promise<HostProbe> {
  const r = await ssh.run(probeScript(files, dirs), { log: `probe ${[...files, ...dirs].join(" ")}` });
  return parseProbe(r.stdout, files, dirs);
}
