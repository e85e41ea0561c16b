import { createTwoFilesPatch } from "diff";
import type { Change } from "./change.ts";
import { redact } from "../base/redact.ts";
import type { Ssh } from "../transport/ssh.ts";

/** A unified diff between two versions of a file, with registered secrets redacted. */
export function unifiedDiff(path: string, before: string | null, after: string | null): string {
  const patch = createTwoFilesPatch(
    before === null ? "/dev/null" : `${path} (current)`,
    after === null ? "/dev/null" : `${path} (planned)`,
    before ?? "",
    after ?? "",
    "",
    "",
    { context: 3 },
  );
  // Drop the "Index:"/"===" header lines that createTwoFilesPatch adds.
  const lines = patch.split("\n").filter((l) => !l.startsWith("===="));
  return redact(lines.map((l) => (/^(---|\+\+\+) /.test(l) ? l.replace(/\t$/, "") : l)).join("\n")).trimEnd();
}

/** Options of a managed file. */
export interface FileOptions {
  mode: number;
  owner?: string;
  /** The file holds secrets (hashes, keys): its diff shows only that it changed. */
  secret?: boolean;
  /** Runs after the file is written (e.g. a reload). */
  after?: () => Promise<void>;
  /**
   * Owner (`uid:gid`) and octal mode the probe found on the current file. When given, a file with
   * the right content but another mode (a `chmod 644` of a file holding secrets) or owner is a change.
   */
  found?: { owner: string; mode: string } | null;
}

/** Why the found owner or mode differs from the wanted one, or null when they match (or are unknown). */
export function statDrift(opts: Pick<FileOptions, "mode" | "owner" | "found">): string | null {
  const f = opts.found;
  if (!f) return null;
  const out: string[] = [];
  if (Number.parseInt(f.mode, 8) !== opts.mode) {
    out.push(`mode ${f.mode.padStart(4, "0")} → ${opts.mode.toString(8).padStart(4, "0")}`);
  }
  // A name (`isa-monitoring:isa-monitoring`, under --check before the account exists) never equals the
  // numeric owner stat prints: the file is not that account's yet, which is drift too.
  if (opts.owner && f.owner !== opts.owner) {
    out.push(`owner ${f.owner} → ${opts.owner}`);
  }
  return out.length ? out.join(", ") : null;
}

/**
 * The change that makes `path` hold `desired` with its mode and owner, or null when it already does
 * (mode and owner are compared when the caller passes what the probe `found`).
 */
export function fileChange(
  ssh: Ssh,
  path: string,
  current: string | null,
  desired: string,
  opts: FileOptions,
): Change | null {
  if (current === desired) {
    const drift = statDrift(opts);
    if (!drift) return null;
    return {
      summary: `restore ${path} (${drift})`,
      sameContent: true,
      // Rewritten rather than chmod-ed: the atomic write sets mode and owner on a fresh file and
      // replaces whatever is at the path (a symlink included) instead of following it.
      apply: async () => {
        await ssh.writeFile(path, desired, { mode: opts.mode, owner: opts.owner });
        await opts.after?.();
      },
    };
  }
  const verb = current === null ? "create" : "update";
  return {
    summary: `${verb} ${path}`,
    diff: opts.secret
      ? `--- ${path}\n+++ ${path}\n(secret content ${verb === "create" ? "created" : "changed"}; not shown)`
      : unifiedDiff(path, current, desired),
    apply: async () => {
      await ssh.writeFile(path, desired, { mode: opts.mode, owner: opts.owner });
      await opts.after?.();
    },
  };
}
