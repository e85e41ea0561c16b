/**
 * Helpers for lab-backed tests and bench/: reach lab hosts, write variant inventories, reset or reboot
 * hosts. The CLI runner is tests/helpers/cli.ts (re-exported here for the lab tests).
 */
import $ from "dax";
import { join } from "node:path";
import { DEFAULT_HOSTS, ensureLab, type LabInfo, labUp } from "../../lib/lab/mod.ts";
import { inventoryText } from "../../lib/lab/inventory.ts";
import { containerName, dockerVolumeName, labFiles, numberOf } from "../../lib/lab/layout.ts";
import { defaultControlDir } from "../../lib/transport/ssh.ts";
import { until } from "./until.ts";

export { cli, type CliRun } from "./cli.ts";
export { httpStatus } from "./http.ts";

/**
 * Runs a shell command on a lab host as root through the lab's ssh config: `out` is stdout and stderr
 * joined and trimmed, `stdout` as printed. `timeoutMs` bounds a command that could hang (dax then
 * throws).
 */
export async function onHost(
  lab: Pick<LabInfo, "sshConfig">,
  host: string,
  command: string,
  timeoutMs?: number,
): Promise<{ code: number; out: string; stdout: string }> {
  let cmd = $`ssh -F ${lab.sshConfig} -o BatchMode=yes ${host} ${command}`
    .stdin("null").stdout("piped").stderr("piped").noThrow();
  if (timeoutMs) cmd = cmd.timeout(timeoutMs);
  const r = await cmd;
  return { code: r.code, out: (r.stdout + r.stderr).trim(), stdout: r.stdout };
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
  // The default lab (its Debian 13 host too, which tests/lab/debian13_host_test.ts uses), so `lab up`
  // never reports hosts it keeps beyond those asked for.
  return await scoped(
    await ensureLab(Math.max(TEST_HOSTS, DEFAULT_HOSTS)),
    "tests-inventory.yml",
    TEST_HOSTS,
  );
}

/** `info` seen through an inventory (written under .lab/ as `file`) of its first `n` hosts only. */
async function scoped(info: LabInfo, file: string, n: number): Promise<LabInfo> {
  const hosts = info.hosts.slice(0, n);
  const path = join(info.dir, file);
  await Deno.writeTextFile(path, inventoryText(hosts.map((h) => h.name), info.images));
  return { ...info, hosts, inventory: path };
}

/** Stops the tool's shared SSH master to a host (its socket is in the tool's control folder). */
export async function dropMaster(sshConfig: string, name: string): Promise<void> {
  await $`ssh -F ${sshConfig} -o ${`ControlPath=${defaultControlDir()}/%C`} -O exit ${name}`.quiet()
    .noThrow().timeout(15_000);
}

/**
 * Makes lab hosts fresh servers again (new container, empty /var/lib/docker volume; same name,
 * address and host key) and brings the lab up again; other lab hosts are left as they are.
 */
export async function resetHosts(names: string[], log: (line: string) => void = () => {}): Promise<LabInfo> {
  // Drop the tool's shared ControlMasters: they point at the old containers.
  await Promise.all(names.map((n) => dropMaster(labFiles.sshConfig, n)));
  await Promise.all(names.map(async (n) => {
    await $`docker rm -f ${containerName(n)}`.quiet().noThrow().timeout(120_000);
    await $`docker volume rm ${dockerVolumeName(n)}`.quiet().noThrow().timeout(60_000);
    if ((await $`docker volume inspect ${dockerVolumeName(n)}`.quiet().noThrow()).code === 0) {
      throw new Error(`${n}: could not remove volume ${dockerVolumeName(n)}`);
    }
  }));
  // Lab hosts are isaqal09, isaqal10, …: the lab must have at least up to the highest one.
  const upTo = Math.max(DEFAULT_HOSTS, ...names.map(numberOf).map((n) => n - 8));
  return (await labUp(upTo, log)).info;
}

/** Makes one of the tests' lab hosts fresh again (see resetHosts); the tests' view of the lab. */
export async function resetHost(_info: LabInfo, name: string): Promise<LabInfo> {
  await resetHosts([name]);
  return await lab();
}

/** Reboots a lab host (`docker restart`) and waits until SSH answers and systemd has settled. */
export async function rebootHost(info: LabInfo, name: string): Promise<void> {
  await dropMaster(info.sshConfig, name);
  await $`docker restart ${containerName(name)}`.quiet();
  await until(`${name} back after a reboot (systemd running)`, 90_000, async () => {
    const r = await onHost(info, name, "systemctl is-system-running --wait", 30_000);
    return /^(running|degraded)$/m.test(r.out) ? true : undefined;
  }, 1000);
}

/**
 * Apache's pid and config generation (a graceful reload bumps the generation, a restart the pid), on the
 * Debian host (apache2) or the RHEL-shaped one (httpd).
 */
export async function apacheGeneration(
  info: LabInfo,
  name: string,
): Promise<{ pid: string; generation: string }> {
  const r = await onHost(
    info,
    name,
    "systemctl show $(systemctl cat httpd >/dev/null 2>&1 && echo httpd || echo apache2) -p MainPID --value; " +
      "curl -s 'http://localhost/server-status?auto' | sed -n 's/^ParentServerConfigGeneration: //p'",
  );
  const [pid, generation] = r.out.split("\n");
  return { pid, generation: generation ?? "" };
}
