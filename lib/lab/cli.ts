/**
 * `deno task lab up [--hosts N] | up --light N | down [--light] | status`: the lab of real hosts on this
 * machine (see mod.ts).
 */
import { parseArgs } from "node:util";
import { LIGHT } from "./layout.ts";
import { DEFAULT_HOSTS, labDown, labStatus, labUp, lightDown, lightUp } from "./mod.ts";

const USAGE = `usage: deno task lab <command> [options]

commands:
  up [--hosts N]   build what is missing and start hosts isaqal09 (Debian 12), isaqal10 (RHEL-shaped),
                   isaqal11 (Debian 13), … (N hosts, default ${DEFAULT_HOSTS}; isaqal12+ Debian 12) and the
                   bastion; never removes
                   hosts; writes .lab/inventory.yml (use --inventory lab)
  up --light N     only the light hosts isalight01… (N of them; sshd and Apache, no systemd, no Docker;
                   127.0.11.N): for \`deploy --check\` and \`facts\` at fleet size; writes
                   .lab/light-inventory.yml; the normal lab is left as it is
  down             remove every lab container (light hosts included), volume and network (keeps .lab/
                   keys, secrets, images)
  down --light     remove the light hosts only
  status           one line per host: container, systemd, address, ssh, Docker inside

options:
  --hosts N        number of hosts for \`up\` (1..200)
  --light [N]      light hosts: N for \`up\` (1..${LIGHT.max}), no value for \`down\`
  -h, --help       this help`;

function fail(message: string): never {
  console.error(`lab: ${message}\n\n${USAGE}`);
  Deno.exit(1);
}

/** Parsed `lab` arguments: `light` is the number of light hosts (`up`), true (`down --light`) or absent. */
interface LabArgs {
  command: string;
  hosts: number;
  light?: number | true;
}

/** `--light` takes a value after `up` and none after `down`: parseArgs can't say that, so it is split here. */
function splitLight(args: string[]): { rest: string[]; light?: string } {
  const rest: string[] = [];
  let light: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith("--light=")) light = a.slice("--light=".length);
    else if (a === "--light") {
      const v = args[i + 1];
      light = v !== undefined && /^\d+$/.test(v) ? args[++i] : "";
    } else rest.push(a);
  }
  return { rest, light };
}

function parse(args: string[]): LabArgs {
  let parsed;
  const { rest: others, light } = splitLight(args);
  try {
    parsed = parseArgs({
      args: others,
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
  if (light === undefined) return { command, hosts };
  if (command === "status") fail("--light applies to `up` and `down`");
  if (parsed.values.hosts !== undefined) fail("--light and --hosts don't go together");
  if (command === "down") {
    if (light !== "") fail("`down --light` takes no number: it removes every light host");
    return { command, hosts, light: true };
  }
  if (!/^\d+$/.test(light)) fail(`--light wants a whole number, got "${light}"`);
  const n = Number(light);
  if (n < 1 || n > LIGHT.max) fail(`--light must be between 1 and ${LIGHT.max}, got ${n}`);
  return { command, hosts, light: n };
}

/** `deno task lab`: parses the arguments and runs the lab command. */
export async function labCli(args: string[]): Promise<void> {
  const { command, hosts, light } = parse(args);
  const started = Date.now();
  if (command === "up" && typeof light === "number") {
    await lightUp(light);
  } else if (command === "up") {
    await labUp(hosts);
  } else if (command === "down" && light) {
    await lightDown();
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
