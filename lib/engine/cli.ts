import { parseArgs } from "node:util";
import { UsageError } from "../base/errors.ts";

/** Options shared by every task. */
export interface RunOptions {
  prod: boolean;
  inventory: string | undefined;
  limit: string | undefined;
  check: boolean;
  diff: boolean;
  listHosts: boolean;
  json: boolean;
  yes: boolean;
  forks: number;
  verbose: boolean;
}

/** Flags understood by every task, in `node:util` parseArgs form. */
export const commonFlags = {
  prod: { type: "boolean", default: false },
  inventory: { type: "string", short: "i" },
  limit: { type: "string", short: "l" },
  check: { type: "boolean", default: false },
  diff: { type: "boolean", default: false },
  "list-hosts": { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  yes: { type: "boolean", short: "y", default: false },
  forks: { type: "string", default: "20" },
  verbose: { type: "boolean", short: "v", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** The usage line shared by every task. */
export function usage(task: string, extra = ""): string {
  return `usage: deno task ${task} [--prod] [--inventory FILE|lab] [--limit PATTERN] [--check] [--diff]` +
    ` [--list-hosts] [--json] [--yes] [--forks N] [-v]${extra ? " " + extra : ""}`;
}

/** A task's own flags, in `node:util` parseArgs form. */
export type ExtraFlags = Record<
  string,
  { type: "boolean" | "string"; short?: string; default?: boolean | string }
>;

/**
 * Parses a task's argv: the common flags plus `extra` ones. Throws UsageError (exit 1) on unknown
 * flags, stray arguments and conflicting flags.
 */
export function parseCli<E extends ExtraFlags>(
  task: string,
  args: string[],
  extra: E = {} as E,
  extraUsage = "",
): { opts: RunOptions; extra: Record<string, string | boolean | undefined>; help: boolean } {
  // `deno task x -- --flag` passes a literal `--`; we accept it so both forms work.
  const argv = args.filter((a, i) => !(a === "--" && i === 0));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...commonFlags, ...extra },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${usage(task, extraUsage)}`);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const forks = Number(v.forks);
  if (!Number.isInteger(forks) || forks < 1 || forks > 100) {
    throw new UsageError(`--forks takes a whole number from 1 to 100, not '${v.forks}'`);
  }
  if (v.prod && v.inventory) {
    throw new UsageError("--prod and --inventory conflict: --prod means --inventory inventory/prod.yml");
  }
  const opts: RunOptions = {
    prod: Boolean(v.prod),
    inventory: v.inventory as string | undefined,
    limit: v.limit as string | undefined,
    check: Boolean(v.check),
    diff: Boolean(v.diff),
    listHosts: Boolean(v["list-hosts"]),
    json: Boolean(v.json),
    yes: Boolean(v.yes),
    forks,
    verbose: Boolean(v.verbose),
  };
  const extras: Record<string, string | boolean | undefined> = {};
  for (const k of Object.keys(extra)) extras[k] = v[k];
  return { opts, extra: extras, help: Boolean(v.help) };
}
