import { createTwoFilesPatch } from "diff";
import type { Change } from "./change.ts";
import { redact } from "../inventory/redact.ts";
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
}

/** The change that makes `path` hold `desired`, or null when it already does (content, not mode). */
export function fileChange(
  ssh: Ssh,
  path: string,
  current: string | null,
  desired: string,
  opts: FileOptions,
): Change | null {
  if (current === desired) return null;
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
