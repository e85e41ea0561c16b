/**
 * The lab: real hosts (systemd, sshd, Apache) as containers of the controller's Docker engine, reachable
 * over SSH on 127.0.10.N, with a generated inventory: `isaqal09` Debian, `isaqal10` RHEL-shaped (further
 * hosts Debian), a bastion, and on every host a non-root sudo user admitted only through the bastion.
 * `ensureLab` is what tests call.
 */
import { join } from "node:path";
import { ensureLabImages, type LabImages } from "./app_images.ts";
import {
  ensureHostContainer,
  ensureNetwork,
  execIn,
  existingHosts,
  type HostAction,
  inspectHost,
  removeLab,
  systemdState,
  waitHostReady,
} from "./containers.ts";
import { engineUp, ensureEngine } from "./engine.ts";
import { ensureBastion, ensureHostAccess } from "./access.ts";
import { ensureHostImage } from "./host_image.ts";
import { writeInventory } from "./inventory.ts";
import {
  BASTION,
  containerName,
  type HostFlavour,
  hostFlavour,
  hostName,
  LAB_DIR,
  labFiles,
  loopbackAddress,
  NETWORK,
  networkAddress,
  OPS_USER,
} from "./layout.ts";
import { ensureSecrets, LAB_USER } from "./secrets.ts";
import { ensureClientKey, ensureHostKey, sshRun, writeSshFiles } from "./ssh.ts";

export type { LabImages } from "./app_images.ts";
export type { HostFlavour } from "./layout.ts";

/** One lab host as tests and tools see it. */
export interface LabHostInfo {
  /** Inventory name, e.g. `isaqal09`. */
  name: string;
  /** Loopback address its ports are published on, e.g. `127.0.10.9`. */
  address: string;
  /** Container name, e.g. `isa-lab-isaqal09`. */
  container: string;
  /** Container ID. */
  id: string;
  /** `debian`, or `rhel` for the RHEL-shaped host. */
  flavour: HostFlavour;
  /** Address on the lab network (`10.209.9.9`): where the ops user gets in, through the bastion. */
  networkAddress: string;
}

/** Everything a caller needs to use the lab. */
export interface LabInfo {
  /** The .lab folder. */
  dir: string;
  /** .lab/inventory.yml */
  inventory: string;
  /** .lab/ssh_config (use with `ssh -F`). */
  sshConfig: string;
  /** .lab/known_hosts */
  knownHosts: string;
  /** Every lab host (sorted by name), not only the ones asked for. */
  hosts: LabHostInfo[];
  /** Frontend user and password (from .lab/secrets.yml). */
  user: string;
  password: string;
  /** Lab images of apache_exporter and Prometheus in the controller's engine. */
  images: LabImages;
  /** Debian host image (the hosts other than the RHEL-shaped one, and the bastion, run it). */
  hostImage: string;
  /** Host image of each flavour in use. */
  hostImages: Partial<Record<HostFlavour, string>>;
  /** The bastion: its ssh_config alias (an inventory's `jump:`) and lab-network address. */
  bastion: { alias: string; address: string };
  /** Non-root login user on every host (password-less sudo, `docker` group), admitted only from the bastion. */
  opsUser: string;
}

/** Result of `labUp`. */
export interface LabUpResult {
  /** Whether anything was created or started (false: the lab was already as asked). */
  changed: boolean;
  info: LabInfo;
}

/** Default number of hosts. */
export const DEFAULT_HOSTS = 2;

/** Runs `fn` holding the lab's lock file, so concurrent `lab up`s (e.g. two test files) don't race. */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  await Deno.mkdir(LAB_DIR, { recursive: true });
  const f = await Deno.open(join(LAB_DIR, "lock"), { create: true, write: true });
  try {
    await f.lock(true);
    return await fn();
  } finally {
    f.close();
  }
}

/**
 * Ensures hosts 1..`hosts` exist and every lab host is running and ready (building images, keys, network
 * as needed), and writes ssh_config, known_hosts and inventory.yml for all of them. Never removes a host.
 */
export function labUp(
  hosts = DEFAULT_HOSTS,
  log: (line: string) => void = console.log,
): Promise<LabUpResult> {
  return withLock(async () => {
    await ensureEngine(log);
    const wanted = Array.from({ length: hosts }, (_, i) => hostName(i + 1));
    const all = [...new Set([...wanted, ...await existingHosts()])].sort();
    // Debian's image always (the bastion runs it too), then the other flavours in use; one at a time:
    // each build is a debootstrap that keeps both CPUs busy.
    const hostImages: Partial<Record<HostFlavour, string>> = { debian: await ensureHostImage(log, "debian") };
    for (const f of new Set(all.map(hostFlavour))) hostImages[f] ??= await ensureHostImage(log, f);
    const hostImage = hostImages.debian!;
    const images = await ensureLabImages(log);
    const clientPub = await ensureClientKey();
    const password = await ensureSecrets();
    const networkCreated = await ensureNetwork();
    if (networkCreated) log(`network: created ${NETWORK.name} (${NETWORK.subnet})`);

    const keys = new Map(await Promise.all(all.map(async (n) => [n, await ensureHostKey(n)] as const)));
    const bastionKey = await ensureHostKey(BASTION.name);
    await writeSshFiles(
      all.map((name) => ({ name, publicKey: keys.get(name)!.publicKey })),
      bastionKey.publicKey,
    );

    const actions = new Map<string, HostAction>();
    const infos: LabHostInfo[] = [];
    for (const name of all) {
      const flavour = hostFlavour(name);
      const image = hostImages[flavour]!;
      const r = await ensureHostContainer(name, image, keys.get(name)!, clientPub);
      actions.set(name, r.action);
      infos.push({
        name,
        address: loopbackAddress(name),
        container: containerName(name),
        id: r.id,
        flavour,
        networkAddress: networkAddress(name),
      });
      if (r.action !== "unchanged") {
        log(`${name}: ${r.action} ${containerName(name)} (${flavour}) on ${loopbackAddress(name)}`);
      }
      if (r.staleImage) {
        log(`${name}: runs an older host image than ${image}; \`lab down\` then \`up\` to refresh`);
      }
    }
    const bastionChanged = await ensureBastion(hostImage, bastionKey, clientPub);
    if (bastionChanged) log(`bastion: ${containerName(BASTION.name)} on ${BASTION.loopback} (sshd only)`);
    await Promise.all(all.map((n) => waitHostReady(n, actions.get(n) === "unchanged" ? () => {} : log)));
    await Promise.all(all.map((n) => ensureHostAccess(n, clientPub)));
    const extra = all.filter((n) => !wanted.includes(n)).join(", ");
    if (extra) log(`kept ${extra}: \`up --hosts ${hosts}\` removes no host (\`lab down\` removes them all)`);
    await writeInventory(all, images);

    const changed = networkCreated || bastionChanged || [...actions.values()].some((a) => a !== "unchanged");
    log(
      changed
        ? `lab up: ${all.length} host(s) ready: ${all.join(", ")}; inventory: ${labFiles.inventory}`
        : `lab up: nothing to change (${all.length} host(s) up: ${all.join(", ")})`,
    );
    return {
      changed,
      info: {
        dir: LAB_DIR,
        inventory: labFiles.inventory,
        sshConfig: labFiles.sshConfig,
        knownHosts: labFiles.knownHosts,
        hosts: infos,
        user: LAB_USER,
        password,
        images,
        hostImage,
        hostImages,
        bastion: { alias: BASTION.alias, address: BASTION.address },
        opsUser: OPS_USER,
      },
    };
  });
}

/** Brings the lab up with at least `hosts` hosts (idempotent, about a second when it is already up). */
export async function ensureLab(hosts = DEFAULT_HOSTS): Promise<LabInfo> {
  return (await labUp(hosts, (line) => console.error(line))).info;
}

/**
 * Removes every lab container, volume and the network, and the generated inventory.yml; keeps keys,
 * known_hosts, ssh_config, secrets and the cached images.
 */
export function labDown(log: (line: string) => void = console.log): Promise<void> {
  return withLock(async () => {
    if (!(await engineUp())) throw new Error("the Docker engine does not answer (`docker info` fails)");
    const r = await removeLab();
    await Deno.remove(labFiles.inventory).catch(() => {});
    log(`containers removed: ${r.containers.join(", ") || "none"}`);
    log(`volumes removed: ${r.volumes.join(", ") || "none"}`);
    log(`network isa-lab: ${r.network ? "removed" : "absent"}`);
    log("kept: .lab/ keys, secrets and the cached images");
  });
}

/** State of one lab host, as `lab status` shows it. */
export interface LabHostStatus {
  name: string;
  flavour: HostFlavour;
  address: string;
  /** Docker's container state (`running`, `exited`…). */
  container: string;
  /** systemd's state, or `-` when the container is not running. */
  systemd: string;
  ssh: boolean;
  /** `docker --version` inside the host, or null when Docker is not installed. */
  docker: string | null;
}

/** Status of every lab host (empty when there are none). */
export async function labStatus(): Promise<LabHostStatus[]> {
  if (!(await engineUp())) throw new Error("the Docker engine does not answer (`docker info` fails)");
  return await Promise.all((await existingHosts()).map(async (name): Promise<LabHostStatus> => {
    const c = await inspectHost(name);
    const running = !!c?.State.Running;
    const dockerCheck = running
      ? await execIn(containerName(name), ["sh", "-c", "command -v docker >/dev/null && docker --version"])
      : undefined;
    return {
      name,
      flavour: hostFlavour(name),
      address: loopbackAddress(name),
      container: c?.State.Status ?? "missing",
      systemd: running ? await systemdState(name) : "-",
      ssh: running && (await sshRun(name, "true")).code === 0,
      docker: dockerCheck?.code === 0 ? dockerCheck.output.trim() : null,
    };
  }));
}
