/**
 * The workplace's shared material (seed doc, Traefik schemas, real host outputs) lives in `../shared/`
 * beside the project root; a clone elsewhere has none. Tests that read it are registered with
 * `Deno.test({ ...needsShared(name), fn })`: ignored (counted as such, never as passed) when absent, the
 * reason in the test's name.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** `../shared/` of the project root, absolute. */
export const SHARED: string = fileURLToPath(new URL("../../../shared/", import.meta.url)).replace(/\/$/, "");

/** Whether ../shared/ is there (checked once, when the test files are loaded). */
export const hasShared: boolean = existsSync(SHARED);

/** Name and `ignore` for a test that reads ../shared/: the name says why when it is ignored. */
export function needsShared(name: string): { name: string; ignore: boolean } {
  return hasShared
    ? { name, ignore: false }
    : { name: `${name} [ignored: ${SHARED} not found; only the workplace has ../shared/]`, ignore: true };
}
