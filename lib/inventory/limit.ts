import { UsageError } from "../base/errors.ts";
import type { Inventory } from "./load.ts";

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".");
  return new RegExp(`^${body}$`);
}

/** Hosts that one term (host, group or glob over both) names. */
function matchTerm(inv: Inventory, term: string): string[] {
  const re = globToRegExp(term);
  const out = new Set<string>();
  for (const h of inv.hosts) if (re.test(h.name)) out.add(h.name);
  for (const [g, members] of inv.groups) if (re.test(g)) members.forEach((m) => out.add(m));
  return [...out];
}

/** What the inventory knows, for error messages. */
export function knownNames(inv: Inventory): string {
  const groups = [...inv.groups.keys()].sort();
  return `known hosts: ${inv.hosts.map((h) => h.name).join(", ")}; groups: ${groups.join(", ")}`;
}

/**
 * Selects host names by an Ansible-style pattern: `a,b` union, `isaqal*` glob, `!x` exclusion,
 * `&g` intersection. A term that names nothing, or a result that is empty, is a usage error.
 */
export function selectHosts(inv: Inventory, pattern: string | undefined): string[] {
  const all = inv.hosts.map((h) => h.name);
  if (pattern === undefined) return all;
  const terms = pattern.split(/[,:]/).map((t) => t.trim()).filter(Boolean);
  if (terms.length === 0) throw new UsageError(`--limit '${pattern}' is empty; ${knownNames(inv)}`);
  const plus: string[] = [];
  const and: string[][] = [];
  const minus: string[] = [];
  for (const t of terms) {
    const kind = t[0] === "!" ? "!" : t[0] === "&" ? "&" : "";
    const name = kind ? t.slice(1) : t;
    const hits = matchTerm(inv, name);
    if (hits.length === 0) {
      throw new UsageError(`--limit: '${name}' matches no host or group; ${knownNames(inv)}`);
    }
    if (kind === "!") minus.push(...hits);
    else if (kind === "&") and.push(hits);
    else plus.push(...hits);
  }
  let selected = plus.length ? all.filter((h) => plus.includes(h)) : [...all];
  for (const set of and) selected = selected.filter((h) => set.includes(h));
  selected = selected.filter((h) => !minus.includes(h));
  if (selected.length === 0) throw new UsageError(`--limit '${pattern}' selects no host; ${knownNames(inv)}`);
  return selected;
}
