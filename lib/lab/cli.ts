/**
 * `deno task lab up [--hosts N] | down | status`: the lab of real hosts on this machine (see mod.ts).
 */
import { parseArgs } from "node:util";
import { DEFAULT_HOSTS, labDown, labStatus, labUp } from "./mod.ts";

const USAGE = `usage: deno task lab <command> [options]

commands:
  up [--hosts N]   build what is missing and start hosts isaqal09 (Debian), isaqal10 (RHEL-shaped), …
                   (N hosts, default ${DEFAULT_HOSTS}; isaqal11+ Debian) and the bastion; never removes
                   hosts; writes .lab/inventory.yml (use --inventory lab)
  down             remove every lab container, volume and the network (keeps .lab/ keys, secrets, images)
  status           one line per host: container, systemd, address, ssh, Docker inside

options:
  --hosts N        number of hosts for \`up\` (1..200)
  -h, --help       this help`;

function fail(message: string): never {
  console.error(`lab: ${message}\n\n${USAGE}`);
  Deno.exit(1);
}

function parse(args: string[]): { command: string; hosts: number } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { hosts: { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    fail((e as Error).message);
  }
  if (parsed.values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const [command, ...rest] = parsed.positionals;
  if (!command) fail("missing command");
  if (!["up", "down", "status"].includes(command)) fail(`unknown command "${command}"`);
  if (rest.length) fail(`unexpected argument "${rest[0]}"`);
  let hosts = DEFAULT_HOSTS;
  if (parsed.values.hosts !== undefined) {
    if (command !== "up") fail("--hosts only applies to `up`");
    if (!/^\d+$/.test(parsed.values.hosts)) {
      fail(`--hosts wants a whole number, got "${parsed.values.hosts}"`);
    }
    hosts = Number(parsed.values.hosts);
    if (hosts < 1 || hosts > 200) fail(`--hosts must be between 1 and 200, got ${hosts}`);
  }
  return { command, hosts };
}

/** `deno task lab`: parses the arguments and runs the lab command. */
export async function labCli(args: string[]): Promise<void> {
  const { command, hosts } = parse(args);
  const started = Date.now();
  if (command === "up") {
    await labUp(hosts);
  } else if (command === "down") {
    await labDown();
  } else {
    const rows = await labStatus();
    if (!rows.length) console.log("no lab hosts (run `deno task lab up`)");
    for (const r of rows) {
      console.log(
        [
          r.name.padEnd(10),
          r.flavour.padEnd(7),
          `container=${r.container}`.padEnd(20),
          `systemd=${r.systemd}`.padEnd(20),
          `address=${r.address}`.padEnd(22),
          `ssh=${r.ssh ? "ok" : "FAILED"}`.padEnd(11),
          `docker=${r.docker ?? "absent"}`,
        ].join(" "),
      );
    }
  }
  if (command !== "status") console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
