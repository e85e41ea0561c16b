/**
 * The tasks as deno.json declares them: their description, and the `deno run` flags each command line
 * grants, so tests run an entry file under exactly the permissions `deno task` gives it (never a copy).
 */
import { join } from "node:path";
import { projectRoot } from "../../lib/inventory/load.ts";

/** One task of deno.json. */
export interface DeclaredTask {
  name: string;
  description: string;
  command: string;
}

/** Every task of deno.json, in its order. */
export function declaredTasks(): DeclaredTask[] {
  const config = JSON.parse(Deno.readTextFileSync(join(projectRoot, "deno.json")));
  return Object.entries(config.tasks as Record<string, string | { description?: string; command: string }>)
    .map(([name, t]) =>
      typeof t === "string"
        ? { name, description: "", command: t }
        : { name, description: t.description ?? "", command: t.command }
    );
}

/**
 * `word` as deno task's shell expands it from `env`: `$NAME` is the variable's value (empty when unset),
 * while `${NAME}` and `${NAME:-default}` are left as written, a literal path (Deno 2's task shell,
 * tests/unit/tasks_test.ts compares with it).
 */
export function expandVars(word: string, env: Record<string, string | undefined>): string {
  return word.replace(
    /\$\{[^}]*\}|\$(\w+)/g,
    (whole, name: string | undefined) => name === undefined ? whole : env[name] ?? "",
  );
}

/**
 * The declared `deno run` command of the task whose entry file is `tasks/<file>` (or `bench/<file>`):
 * its name and the permission flags, expanded with `env` over this process' environment.
 */
export function declaredRun(
  file: string,
  env: Record<string, string> = {},
): { task: string; flags: string[] } {
  const all = { ...Deno.env.toObject(), ...env };
  for (const t of declaredTasks()) {
    const words = t.command.split(/\s+/);
    const i = words.findIndex((w) => w === `tasks/${file}` || w === `bench/${file}`);
    // The task that runs the file alone (`test:lab` runs tasks/test.ts with arguments: not test's).
    if (words[0] !== "deno" || words[1] !== "run" || i !== words.length - 1) continue;
    return { task: t.name, flags: words.slice(2, i).map((w) => expandVars(w, all)) };
  }
  throw new Error(`deno.json has no task running ${file}`);
}
