/** `deno task status`: a read-only view of every selected host. */
import { status } from "../lib/steps/status.ts";

if (import.meta.main) Deno.exit(await status(Deno.args));
