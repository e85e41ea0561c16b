/** What this process may already do, asked without prompting (Deno prompts only on a request). */

/**
 * True when every one of `kinds` is already granted on `path`: a declared task (not `-A`) gets false for a
 * folder its deno.json permissions don't name, where using it would have Deno prompt on a terminal.
 */
export function granted(path: string, ...kinds: ("read" | "write")[]): boolean {
  return kinds.every((name) => Deno.permissions.querySync({ name, path }).state === "granted");
}
