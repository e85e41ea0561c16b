import { isMap, isSeq, type Node } from "yaml";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { UsageError } from "../base/errors.ts";
import type { Host } from "./host.ts";
import { checkHostVars, type VarPath } from "./rules.ts";
import { child, entries, type Infer, Located, type ObjectSchema, parseLocated, validate } from "./schema.ts";
import type { Vars } from "./vars.ts";
import { inventorySchema, varsSchema } from "./vars_schema.ts";

/** Root of the project (where deno.json is). */
export const projectRoot: string = resolve(dirname(new URL(import.meta.url).pathname), "..", "..");

/** Where the secrets of a deployment come from. */
export type SecretsSource = { file: string } | { command: string };

/** A loaded inventory: its hosts (all, before --limit), groups and settings. */
export interface Inventory {
  file: string;
  deployment: "qual" | "prod";
  /** Hosts per batch of a rolling deploy, when the inventory sets it (see fleet/serial.ts). */
  serial: number | null;
  hosts: Host[];
  /** Group name → member host names. */
  groups: Map<string, string[]>;
  secrets: SecretsSource | null;
}

/** Maps the CLI's choice (--prod, --inventory FILE or `lab`) to an inventory path. */
export function inventoryPath(opts: { prod: boolean; inventory?: string }): string {
  if (opts.inventory === "lab") return join(projectRoot, ".lab", "inventory.yml");
  if (opts.inventory) return resolve(opts.inventory);
  return join(projectRoot, "inventory", opts.prod ? "prod.yml" : "qual.yml");
}

async function readText(file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new UsageError(`${file}: no such inventory file`);
    throw new UsageError(`${file}: cannot read: ${(e as Error).message}`);
  }
}

/** One variable as set somewhere: its value, `file:line:col`, and its node (to locate values within). */
interface Setting {
  value: unknown;
  at: string;
  node: Node | null;
  loc: Located;
}
type Flat = Map<string, Setting>;

/** Flattens nested objects of the vars schema into dotted keys, keeping where each was set. */
function flatten(loc: Located, node: Node | null, prefix = ""): Flat {
  const out: Flat = new Map();
  if (!node || !isMap(node)) return out;
  let fields: ObjectSchema["fields"] = varsSchema.fields;
  for (const part of prefix.split(".").filter(Boolean)) {
    const f = fields[part];
    fields = f.kind === "object" ? f.fields : {};
  }
  for (const [k, v] of entries(loc, node)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (fields[k]?.kind === "object" && v && isMap(v)) {
      for (const [kk, vv] of flatten(loc, v, key)) out.set(kk, vv);
    } else {
      out.set(key, {
        value: v === null ? null : (v as Node & { toJSON(): unknown }).toJSON(),
        at: loc.at(v),
        node: v,
        loc,
      });
    }
  }
  return out;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let cur = target;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Record<string, unknown>;
  cur[parts.at(-1)!] = value;
}

/** `file:line:col` where a merged variable (or a value within it) was set. */
function where(merged: Flat, path: VarPath): string {
  for (let n = path.length; n > 0; n--) {
    const entry = merged.get(path.slice(0, n).join("."));
    if (!entry) continue;
    let node = entry.node;
    for (const p of path.slice(n)) {
      node = typeof p === "number"
        ? (isSeq(node) ? (node.items[p] as Node | null) ?? null : null)
        : child(node, p);
    }
    return node ? entry.loc.at(node) : entry.at;
  }
  return "";
}

/** Loads `inventory/defaults.yml`: every variable, declared once. */
export async function loadDefaults(file = join(projectRoot, "inventory", "defaults.yml")): Promise<Flat> {
  const { loc, root } = parseLocated(file, await readText(file));
  // Complete: every variable has its default here, so the merged vars of a host are a whole `Vars`.
  validate(loc, root, varsSchema, "defaults");
  return flatten(loc, root);
}

/** Loads and validates an inventory; errors name file:line:column and nothing is contacted. */
export async function loadInventory(file: string, defaults?: Flat): Promise<Inventory> {
  defaults ??= await loadDefaults();
  const text = await readText(file);
  if (text.trim() === "") throw new UsageError(`${file}:1:1: the inventory is empty`);
  const { loc, root } = parseLocated(file, text);
  if (!root || !isMap(root)) {
    throw loc.error(root, "the inventory must be a mapping (deployment, hosts, ...)");
  }
  const inv = validate(loc, root, inventorySchema, "") as Infer<typeof inventorySchema>;
  const base = dirname(file);
  const rel = (p: string) => (isAbsolute(p) ? p : p.startsWith("~/") ? p : join(base, p));

  const secrets = secretsSource(loc, root, inv.secrets, rel);

  const hostsNode = child(root, "hosts")!;
  if (!isMap(hostsNode) || hostsNode.items.length === 0) {
    throw loc.error(hostsNode, "hosts must list at least one host");
  }
  const groupsNode = child(root, "groups");
  const hostNames = new Set(entries(loc, hostsNode).map(([k]) => k));

  const { groups, groupFlat } = readGroups(loc, groupsNode, hostNames);
  groups.set("all", [...hostNames]);
  groups.set(inv.deployment, [...new Set([...(groups.get(inv.deployment) ?? []), ...hostNames])]);

  const invVars = flatten(loc, child(root, "vars"));
  const hosts: Host[] = [];
  for (const [name, hnode, pair] of entries(loc, hostsNode)) {
    const merged = mergedVars(loc, name, hnode, [...defaults, ...invVars], groups, groupFlat);
    const vars: Record<string, unknown> = {};
    for (const [k, v] of merged) setPath(vars, k, v.value);
    // Already validated with the whole file above.
    const h = inv.hosts[name];
    const address = h?.address ?? name;
    const v = vars as unknown as Vars;
    checkHostVars(name, inv.deployment, v, (path) => where(merged, path));
    if (!v.fqdn) v.fqdn = address.includes(".") && !/^[\d.]+$/.test(address) ? address : name;
    if (!v.public_address) v.public_address = v.fqdn;
    const { line, col } = loc.lines.linePos(pair.key ? (pair.key as Node).range?.[0] ?? 0 : 0);
    hosts.push({
      name,
      deployment: inv.deployment,
      groups: [...groups].filter(([g, m]) => g !== "all" && m.includes(name)).map(([g]) => g),
      ssh: {
        address,
        user: h?.user,
        port: h?.port,
        jump: h?.jump,
        configFile: inv.ssh_config ? rel(inv.ssh_config) : undefined,
      },
      vars: v,
      pos: { file, line, col },
    });
  }
  return { file, deployment: inv.deployment, serial: inv.serial ?? null, hosts, groups, secrets };
}

/** Where the secrets come from (`file` relative to the inventory, or `command`); null when not set. */
function secretsSource(
  loc: Located,
  root: Node,
  given: { file?: string | null; command?: string | null } | undefined | null,
  rel: (p: string) => string,
): SecretsSource | null {
  if (!given) return null;
  const node = child(root, "secrets");
  if (given.file && given.command) {
    throw loc.error(node, "secrets takes either file or command, not both");
  }
  if (given.file) return { file: rel(given.file) };
  if (given.command) return { command: given.command };
  throw loc.error(node, "secrets needs file or command");
}

/** The groups: each one's hosts (all known, none twice) and its vars. */
function readGroups(
  loc: Located,
  groupsNode: Node | null,
  hostNames: Set<string>,
): { groups: Map<string, string[]>; groupFlat: Map<string, Flat> } {
  const groups = new Map<string, string[]>();
  const groupFlat = new Map<string, Flat>();
  if (groupsNode && isMap(groupsNode)) {
    for (const [g, gnode] of entries(loc, groupsNode)) {
      if (hostNames.has(g)) throw loc.error(gnode, `group '${g}' has the name of a host`);
      const members = child(gnode, "hosts");
      const names: string[] = [];
      if (members && isSeq(members)) {
        for (const item of members.items as Node[]) {
          const n = (item as { value: string }).value;
          if (!hostNames.has(n)) throw loc.error(item, `group '${g}' names unknown host '${n}'`);
          if (names.includes(n)) throw loc.error(item, `group '${g}' lists '${n}' twice`);
          names.push(n);
        }
      }
      groups.set(g, names);
      groupFlat.set(g, flatten(loc, child(gnode, "vars")));
    }
  }
  return { groups, groupFlat };
}

/** A host's settings: defaults and inventory vars, then its groups' (which must agree), then its own. */
function mergedVars(
  loc: Located,
  name: string,
  hnode: Node | null,
  base: [string, Setting][],
  groups: Map<string, string[]>,
  groupFlat: Map<string, Flat>,
): Flat {
  const merged: Flat = new Map(base);
  // Two groups giving one host different values is ambiguous; Ansible picks silently, we refuse.
  const fromGroup = new Map<string, Setting & { group: string }>();
  const memberOf = [...groups].filter(([g, m]) => groupFlat.has(g) && m.includes(name)).map(([g]) => g);
  for (const g of memberOf.sort()) {
    for (const [k, v] of groupFlat.get(g)!) {
      const prev = fromGroup.get(k);
      if (prev && JSON.stringify(prev.value) !== JSON.stringify(v.value)) {
        throw new UsageError(
          `${v.at}: host '${name}' gets conflicting values for ${k} from groups '${prev.group}' (${prev.at}) and '${g}'`,
        );
      }
      fromGroup.set(k, { ...v, group: g });
    }
  }
  for (const [k, v] of fromGroup) merged.set(k, v);
  for (const [k, v] of flatten(loc, child(hnode, "vars"))) merged.set(k, v);
  return merged;
}
