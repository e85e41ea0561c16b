/** `deno task status`: a read-only view of every selected host. */
import { status } from "../lib/status/task.ts";

if (import.meta.main) Deno.exit(await status(Deno.args));
