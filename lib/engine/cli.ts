import { parseArgs } from "node:util";
import { UsageError } from "../base/errors.ts";
import { closest } from "../base/suggest.ts";

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

/**
 * One flag: its `node:util` parseArgs form plus what `--help` prints of it, written once here: `value`
 * names a string flag's argument, `help` is its one line, `example` a command line using it (`TASK`
 * stands for the task's name).
 */
export interface FlagSpec {
  type: "boolean" | "string";
  short?: string;
  default?: boolean | string;
  value?: string;
  help: string;
  example: string;
}

/** Flags understood by every task. */
export const commonFlags = {
  prod: {
    type: "boolean",
    default: false,
    help: "the production hosts (inventory/prod.yml); asks before changing them unless --yes",
    example: "deno task TASK --prod --limit isaprd10",
  },
  inventory: {
    type: "string",
    short: "i",
    value: "FILE|lab",
    help: "the inventory to read (default inventory/qual.yml); `lab` is the lab's",
    example: "deno task TASK --inventory lab",
  },
  limit: {
    type: "string",
    short: "l",
    value: "PATTERN",
    help: "only the hosts (or groups) matching PATTERN: names, globs, `a,b`, `!x` (docs/inventory.md)",
    example: "deno task TASK --limit 'isaqal*,!isaqal10'",
  },
  check: {
    type: "boolean",
    default: false,
    help: "plan only: say what would change, change nothing",
    example: "deno task TASK --check",
  },
  diff: {
    type: "boolean",
    default: false,
    help: "show each file's changes as a diff (with --check: what would change)",
    example: "deno task TASK --check --diff",
  },
  "list-hosts": {
    type: "boolean",
    default: false,
    help: "print the selected hosts and stop, contacting none",
    example: "deno task TASK --list-hosts --limit isaqal",
  },
  json: {
    type: "boolean",
    default: false,
    help: "one JSON document on stdout instead of the text",
    example: "deno task TASK --json > run.json",
  },
  yes: {
    type: "boolean",
    short: "y",
    default: false,
    help: "don't ask before changing production hosts",
    example: "deno task TASK --prod --yes",
  },
  forks: {
    type: "string",
    default: "20",
    value: "N",
    help: "hosts worked on at once, 1 to 100 (default 20)",
    example: "deno task TASK --forks 5",
  },
  verbose: {
    type: "boolean",
    short: "v",
    default: false,
    help: "print each remote command as it runs",
    example: "deno task TASK -v --limit isaqal09",
  },
  help: {
    type: "boolean",
    short: "h",
    default: false,
    help: "this help",
    example: "deno task TASK --help",
  },
} as const satisfies Record<string, FlagSpec>;

/** A task's own flags. */
export type ExtraFlags = Record<string, FlagSpec>;

function flagWords(name: string, f: FlagSpec): string {
  return `${f.short ? `-${f.short}, ` : ""}--${name}${f.value ? ` ${f.value}` : ""}`;
}

/** The usage line of a task from its flags. */
export function usage(task: string, extra: ExtraFlags = {}): string {
  const all: ExtraFlags = { ...commonFlags, ...extra };
  const words = Object.entries(all).filter(([n]) => n !== "help")
    .map(([n, f]) => `[--${n}${f.value ? ` ${f.value}` : ""}]`);
  return `usage: deno task ${task} ${words.join(" ")}`;
}

/** `--help`: the usage line, then each flag with its one line and an example. */
export function helpText(task: string, extra: ExtraFlags = {}): string {
  const all: ExtraFlags = { ...commonFlags, ...extra };
  const width = Math.max(...Object.entries(all).map(([n, f]) => flagWords(n, f).length)) + 2;
  const lines = [usage(task, extra), "", "options:"];
  for (const [n, f] of Object.entries(all)) {
    lines.push(`  ${flagWords(n, f).padEnd(width)}${f.help}`);
    lines.push(`  ${" ".repeat(width)}e.g. ${f.example.replaceAll("TASK", task)}`);
  }
  lines.push(
    "",
    "exit codes: 0 all good, 1 bad usage, 2 a host failed, 4 a host unreachable, 6 both, 130 interrupted",
  );
  return lines.join("\n");
}

/** The parseArgs options of `flags`: their help text left out. */
function parseOptions(flags: ExtraFlags) {
  return Object.fromEntries(
    Object.entries(flags).map(([n, f]) => [
      n,
      {
        type: f.type,
        ...(f.short ? { short: f.short } : {}),
        ...(f.default !== undefined ? { default: f.default } : {}),
      },
    ]),
  ) as Record<string, { type: "boolean" | "string"; short?: string; default?: boolean | string }>;
}

/** parseArgs' message for an unknown flag, with the nearest known flag when one is close. */
function unknownFlagMessage(message: string, flags: ExtraFlags): string {
  const m = /^Unknown option '(-{1,2})([^']+)'/.exec(message);
  if (!m) return message;
  const given = `${m[1]}${m[2]}`;
  const names = Object.entries(flags).flatMap(([n, f]) => [`--${n}`, ...(f.short ? [`-${f.short}`] : [])]);
  // `--limti=x`: the name before `=` is what was mistyped.
  const guess = closest(given.split("=")[0], names);
  return `unknown option ${given}${guess ? `: did you mean ${guess}?` : ""}`;
}

/**
 * Parses a task's argv: the common flags plus `extra` ones. Throws UsageError (exit 1) on unknown
 * flags (naming the nearest known one), stray arguments and conflicting flags.
 */
export function parseCli<E extends ExtraFlags>(
  task: string,
  args: string[],
  extra: E = {} as E,
): { opts: RunOptions; extra: Record<string, string | boolean | undefined>; help: boolean } {
  // `deno task x -- --flag` passes a literal `--`; we accept it so both forms work.
  const argv = args.filter((a, i) => !(a === "--" && i === 0));
  const all: ExtraFlags = { ...commonFlags, ...extra };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: parseOptions(all), strict: true, allowPositionals: false });
  } catch (e) {
    throw new UsageError(`${unknownFlagMessage((e as Error).message, all)}\n${usage(task, extra)}`);
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
