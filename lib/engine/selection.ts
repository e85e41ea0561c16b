import type { RunOptions } from "./cli.ts";
import { UsageError } from "./errors.ts";
import type { Host } from "../inventory/host.ts";
import { type Inventory, inventoryPath, loadInventory } from "../inventory/load.ts";
import { selectHosts } from "../inventory/limit.ts";

/** Selected hosts of the inventory the options name; usage errors for bad input. */
export async function selectFromOptions(opts: RunOptions): Promise<{ inventory: Inventory; hosts: Host[] }> {
  const inventory = await loadInventory(inventoryPath(opts));
  if (opts.prod && inventory.deployment !== "prod") {
    throw new UsageError(
      `${inventory.file}: --prod needs a prod inventory, this one is '${inventory.deployment}'`,
    );
  }
  const names = selectHosts(inventory, opts.limit);
  return { inventory, hosts: inventory.hosts.filter((h) => names.includes(h.name)) };
}

/** Asks for confirmation before changing production hosts from a terminal. */
export function confirmProd(hosts: Host[], opts: RunOptions, task: string): void {
  if (!opts.prod || opts.yes || opts.check || opts.listHosts || !Deno.stdin.isTerminal()) return;
  const answer = prompt(
    `${task} on PRODUCTION hosts ${hosts.map((h) => h.name).join(", ")}? Type 'yes' to go on:`,
  );
  if (answer?.trim() !== "yes") throw new UsageError("not confirmed; nothing was changed");
}
