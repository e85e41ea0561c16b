/** `deno task uninstall [--purge]`: removes what deploy made (see lib/steps/uninstall.ts). */
import { main } from "../lib/fleet/runner.ts";
import { uninstallSteps } from "../lib/steps/uninstall.ts";

/** This task's own flag, parsed with the shared ones (so `--help` lists it and a typo gets a suggestion). */
const PURGE = {
  purge: {
    type: "boolean",
    default: false,
    help: "also remove the install folder (/srv/isa: certificates, Prometheus' data), the system user " +
      "and /var/cache/isa-monitoring",
    example: "deno task uninstall --purge --limit isaqal10",
  },
} as const;

// The steps depend on --purge, so it is looked at before the shared parse (which checks it again).
const purge = Deno.args.includes("--purge");

if (import.meta.main) {
  await main(purge ? "uninstall --purge" : "uninstall", uninstallSteps(purge), Deno.args, { extra: PURGE });
}
