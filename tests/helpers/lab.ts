/** Helpers for lab-backed tests: run the real CLI, reach lab hosts, write variant inventories. */
import $ from "dax";
import { join } from "node:path";
import { projectRoot } from "../../lib/inventory/load.ts";
import { ensureLab, type LabInfo } from "../../lib/lab/mod.ts";

/** A finished CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  // deno-lint-ignore no-explicit-any
  json?: any;
}

/** Runs `deno run -A tasks/<file>` with args, as an operator would; parses stdout when --json. */
export async function cli(file: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const r = await $`deno run -A ${join(projectRoot, "tasks", file)} ${args}`
    .cwd(projectRoot)
    .env({ NO_COLOR: "1", ...env })
    .stdout("piped")
    .stderr("piped")
    .noThrow();
  const run: CliRun = { code: r.code, stdout: r.stdout, stderr: r.stderr };
  if (args.includes("--json") && r.stdout.trim().startsWith("{")) run.json = JSON.parse(r.stdout);
  return run;
}

/** Runs a shell command on a lab host as root through the lab's ssh config. */
export async function onHost(
  lab: LabInfo,
  host: string,
  command: string,
): Promise<{ code: number; out: string }> {
  const r = await $`ssh -F ${lab.sshConfig} -o BatchMode=yes ${host} ${command}`
    .stdout("piped").stderr("piped").noThrow();
  return { code: r.code, out: (r.stdout + r.stderr).trim() };
}

/**
 * Writes a variant of the lab inventory (another deployment, other vars) under .lab/ and returns its
 * path; relative paths in it keep pointing at the lab's ssh config and secrets.
 */
export async function labVariant(
  lab: LabInfo,
  name: string,
  edit: (text: string) => string,
): Promise<string> {
  const file = join(lab.dir, `variant-${name}.yml`);
  await Deno.writeTextFile(file, edit(await Deno.readTextFile(lab.inventory)));
  return file;
}

/**
 * Writes a variant of the lab inventory in which `host` is reached the way operators reach theirs: as the
 * lab's non-root sudo user, by its lab-network address, through the bastion (ProxyJump). The host admits
 * that user from the bastion only, so the run goes through it or fails.
 */
export async function bastionVariant(lab: LabInfo, host: string): Promise<string> {
  const h = lab.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`${host} is not a lab host`);
  return await labVariant(lab, `bastion-${host}`, (text) => {
    const re = new RegExp(`^(  ${host}:\n)    address: ${host} .*\n`, "m");
    if (!re.test(text)) throw new Error(`${host}'s address line not found in the lab inventory`);
    return text.replace(
      re,
      `$1    address: ${h.networkAddress}\n    user: ${lab.opsUser}\n    jump: ${lab.bastion.alias}\n`,
    );
  });
}

/** Hosts the lab-backed tests use; a larger lab (e.g. the bench's) keeps its other hosts to itself. */
export const TEST_HOSTS = 2;

/**
 * The lab, up (idempotent and fast when it already is), seen through an inventory of the first
 * TEST_HOSTS hosts only, so a test never touches hosts that someone else (bench/) is using.
 */
export async function lab(): Promise<LabInfo> {
  return scoped(await ensureLab(TEST_HOSTS));
}

async function scoped(info: LabInfo): Promise<LabInfo> {
  const { inventoryText } = await import("../../lib/lab/inventory.ts");
  const hosts = info.hosts.slice(0, TEST_HOSTS);
  const file = join(info.dir, "tests-inventory.yml");
  await Deno.writeTextFile(file, inventoryText(hosts.map((h) => h.name), info.images));
  return { ...info, hosts, inventory: file };
}

/** HTTP status of a GET from the controller (0 when nothing answers). */
export async function httpStatus(url: string, init: RequestInit = {}): Promise<number> {
  // A new client each time: a pooled keep-alive connection would pass a firewall that only
  // stops new connections, and prove nothing.
  const client = Deno.createHttpClient({});
  try {
    const r = await fetch(url, { ...init, client, signal: AbortSignal.timeout(4000) });
    await r.body?.cancel();
    return r.status;
  } catch {
    return 0;
  } finally {
    client.close();
  }
}

/** Stops the tool's shared SSH master to a host (its socket is in the tool's control folder). */
export async function dropMaster(info: LabInfo, name: string): Promise<void> {
  const { defaultControlDir } = await import("../../lib/transport/ssh.ts");
  await $`ssh -F ${info.sshConfig} -o ${`ControlPath=${defaultControlDir()}/%C`} -O exit ${name}`.quiet()
    .noThrow();
}

/** Makes a lab host fresh again (new container, empty /var/lib/docker), as a newly installed server. */
export async function resetHost(info: LabInfo, name: string): Promise<LabInfo> {
  const { containerName, dockerVolumeName } = await import("../../lib/lab/layout.ts");
  await $`docker rm -f ${containerName(name)}`.quiet().noThrow();
  await $`docker volume rm ${dockerVolumeName(name)}`.quiet().noThrow();
  // Drop the tool's shared ControlMaster: it points at the old container.
  await dropMaster(info, name);
  return await lab();
}

/** Reboots a lab host (`docker restart`) and waits until SSH answers and systemd has settled. */
export async function rebootHost(info: LabInfo, name: string): Promise<void> {
  const { containerName } = await import("../../lib/lab/layout.ts");
  await dropMaster(info, name);
  await $`docker restart ${containerName(name)}`.quiet();
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const r = await onHost(info, name, "systemctl is-system-running --wait");
    if (/^(running|degraded)$/m.test(r.out)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`${name} did not come back within 90 s`);
}

/** Apache's pid and config generation (a graceful reload bumps the generation, a restart the pid). */
export async function apacheGeneration(
  info: LabInfo,
  name: string,
): Promise<{ pid: string; generation: string }> {
  const r = await onHost(
    info,
    name,
    "systemctl show apache2 -p MainPID --value; curl -s 'http://localhost/server-status?auto' | sed -n 's/^ParentServerConfigGeneration: //p'",
  );
  const [pid, generation] = r.out.split("\n");
  return { pid, generation: generation ?? "" };
}
