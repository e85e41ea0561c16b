/** `deno task demo`: lab up, deploy, verify-metrics, then where to look (see lib/lab/demo.ts). */
import { demo } from "../lib/lab/demo.ts";

if (import.meta.main) Deno.exit(await demo());
