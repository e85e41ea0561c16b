/**
 * `deno task demo`: the whole story on this machine: lab up, deploy onto it, verify-metrics, then
 * where to look (a link to a graph of apache_scoreboard per host, credentials, a curl line), and one
 * frame of `deno task top`.
 */
import { DEFAULT_HOSTS, labUp } from "./mod.ts";
import { inventoryPath, loadInventory } from "../inventory/load.ts";
import { installPaths } from "../inventory/paths.ts";
import { labGraphLink } from "./inventory.ts";
import { OLDEST_LINE_HOST } from "./layout.ts";

async function task(name: string, args: string[]): Promise<number> {
  console.log(`\n$ deno task ${name} ${args.join(" ")}`);
  const child = new Deno.Command(Deno.execPath(), { args: ["task", "-q", name, ...args] }).spawn();
  return (await child.status).code;
}

/** Runs the demo; returns verify-metrics' exit code (or deploy's, when the deploy failed). */
export async function demo(): Promise<number> {
  console.log("$ deno task lab up");
  // The default lab: Debian 12, the RHEL-shaped host and Debian 13.
  const { info } = await labUp(DEFAULT_HOSTS);
  const deploy = await task("deploy", ["--inventory", "lab"]);
  if (deploy !== 0) return deploy;
  const verify = await task("verify-metrics", ["--inventory", "lab", "--wait", "90s"]);
  const inv = await loadInventory(inventoryPath({ prod: false, inventory: "lab" }));
  const h = inv.hosts[0];
  const cert = installPaths(h.vars).cert;
  console.log(`
Where to look (lab user '${info.user}', password in ${info.dir}/secrets.yml):
${
    inv.hosts.map((x) =>
      x.name === OLDEST_LINE_HOST
        ? `  ${x.name}: Prometheus ${
          x.vars.images.prometheus.replace(/.*:v?/, "")
        }, the oldest supported line ` +
          `(2.53 LTS): graph of apache_scoreboard\n    (its classic UI behind basic auth; the certificate is ` +
          `self-signed):\n    ${labGraphLink(x)}`
        : `  ${x.name}: Prometheus of the pinned line (${x.vars.images.prometheus}); Debian's 3.5 build ` +
          `has no web UI:\n    query its API as below`
    ).join("\n")
  }

  # the scoreboard of ${h.name}, over HTTPS with basic auth, trusting only that host's certificate:
  ssh -F ${info.sshConfig} ${h.name} cat ${cert} > /tmp/${h.name}.pem
  curl --cacert /tmp/${h.name}.pem --resolve ${h.vars.fqdn}:${h.vars.ports.https}:${h.vars.public_address} \\
       -u ${info.user}:"$(sed -n 's/^ *pass: *//p' ${info.dir}/secrets.yml | tr -d '"')" \\
       'https://${h.vars.fqdn}:${h.vars.ports.https}/api/v1/query?query=apache_scoreboard'
`);
  const top = await task("top", ["--inventory", "lab", "--once"]);
  return verify || top;
}
