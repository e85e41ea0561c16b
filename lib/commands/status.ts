/** The status task's command: what it reads on each host beside the probe, in one round trip. */
import type { Command } from "./command.ts";
import type { Vars } from "../inventory/vars.ts";
import { installPaths } from "../inventory/paths.ts";
import { quote } from "../base/quote.ts";

/** The certificate's end date and PEM, and the TSDB's size on disk, each in its section. */
export function statusDisk(vars: Pick<Vars, "install_dir">): Command {
  const p = installPaths(vars);
  const script = [
    "echo @@enddate",
    `openssl x509 -enddate -noout -in ${quote(p.cert)} 2>/dev/null`,
    "echo @@cert",
    `cat ${quote(p.cert)} 2>/dev/null`,
    "echo @@tsdb",
    `du -sb ${quote(p.prometheusData)} 2>/dev/null | cut -f1`,
    "echo @@end",
  ].join("\n");
  return { script, log: "read the certificate's end date and the TSDB's size" };
}
