/**
 * The start every task shares: its flags, `--help`, the host selection and `--list-hosts`; and the one
 * way a usage error ends a task (exit 1, nothing contacted).
 */
import type { Host } from "../inventory/host.ts";
import type { Inventory } from "../inventory/load.ts";
import { type ExtraFlags, helpText, parseCli, type RunOptions } from "../engine/cli.ts";
import { UsageError } from "../base/errors.ts";
import { say, warn } from "../base/output.ts";
import { EXIT } from "../engine/report.ts";
import { selectFromOptions } from "./selection.ts";

/** A task's parsed flags and selected hosts. */
export interface TaskStart {
  opts: RunOptions;
  /** The task's own flags, by name. */
  extra: Record<string, string | boolean | undefined>;
  inventory: Inventory;
  hosts: Host[];
}

/** What a task adds to the shared start. */
export interface TaskFlags<E extends ExtraFlags> {
  /** The task's own flags, each with its help line and example. */
  extra?: E;
  /** Refuses flag combinations the task cannot honour (throw UsageError); runs before the inventory is read. */
  validate?: (opts: RunOptions, extra: Record<string, string | boolean | undefined>) => void;
}

/**
 * Parses a task's flags, then selects its hosts. Answers `--help` and `--list-hosts` itself (then
 * returns undefined: the task is done, exit 0). Throws UsageError on bad flags or inventory.
 */
export async function startTask<E extends ExtraFlags>(
  task: string,
  args: string[],
  flags: TaskFlags<E> = {},
): Promise<TaskStart | undefined> {
  const parsed = parseCli(task, args, flags.extra);
  if (parsed.help) {
    say(helpText(task, flags.extra));
    return undefined;
  }
  flags.validate?.(parsed.opts, parsed.extra);
  const { inventory, hosts } = await selectFromOptions(parsed.opts);
  if (parsed.opts.listHosts) {
    if (parsed.opts.json) console.log(JSON.stringify({ hosts: hosts.map((h) => h.name) }));
    else for (const h of hosts) say(h.name);
    return undefined;
  }
  return { opts: parsed.opts, extra: parsed.extra, inventory, hosts };
}

/** Runs a task's body; a UsageError ends it with `error: …` on stderr and exit 1. */
export async function usageGuard(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    warn(`error: ${e.message}`);
    return EXIT.usage;
  }
}
