/** `deno task top`: live scoreboard of every selected host (see lib/top/task.ts). */
import { top } from "../lib/top/task.ts";

if (import.meta.main) Deno.exit(await top(Deno.args));
