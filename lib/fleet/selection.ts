import type { RunOptions } from "../engine/cli.ts";
import { UsageError } from "../base/errors.ts";
import { warn } from "../base/output.ts";
import type { Host } from "../inventory/host.ts";
import { type Inventory, inventoryPath, loadInventory } from "../inventory/load.ts";
import { selectHosts } from "../inventory/limit.ts";
import { credentialUrls } from "../inventory/rules.ts";

/** Selected hosts of the inventory the options name; usage errors for bad input. */
export async function selectFromOptions(opts: RunOptions): Promise<{ inventory: Inventory; hosts: Host[] }> {
  const inventory = await loadInventory(inventoryPath(opts));
  if (opts.prod && inventory.deployment !== "prod") {
    throw new UsageError(
      `${inventory.file}: --prod needs a prod inventory, this one is '${inventory.deployment}'`,
    );
  }
  const names = selectHosts(inventory, opts.limit);
  const hosts = inventory.hosts.filter((h) => names.includes(h.name));
  // Loud, every run: the lab opt-in must never go unnoticed in a real inventory.
  const clear = hosts.filter((h) =>
    h.vars.insecure_http_for_lab && credentialUrls(h.vars).some((u) => !u.url.startsWith("https://"))
  );
  if (clear.length > 0 && !opts.listHosts) {
    warn(
      `WARNING: insecure_http_for_lab: credentials of ${clear.map((h) => h.name).join(", ")} ` +
        "go over plain http (lab receivers only)",
    );
  }
  return { inventory, hosts };
}

/** How confirmProd talks to the operator (replaced in tests). */
export interface Terminal {
  isTerminal: () => boolean;
  ask: (question: string) => string | null;
}

const realTerminal: Terminal = { isTerminal: () => Deno.stdin.isTerminal(), ask: (q) => prompt(q) };

/**
 * Asks for confirmation before changing production hosts from a terminal: whenever the deployment is
 * prod, whether chosen by --prod or by --inventory of a `deployment: prod` file. Not asked with --yes,
 * --check or --list-hosts, nor without a terminal (scripts and CI go on, as with --prod).
 */
export function confirmProd(hosts: Host[], opts: RunOptions, task: string, term = realTerminal): void {
  const prod = opts.prod || hosts.some((h) => h.deployment === "prod");
  if (!prod || opts.yes || opts.check || opts.listHosts || !term.isTerminal()) return;
  const answer = term.ask(
    `${task} on PRODUCTION hosts ${hosts.map((h) => h.name).join(", ")}? Type 'yes' to go on:`,
  );
  if (answer?.trim() !== "yes") throw new UsageError("not confirmed; nothing was changed");
}
