/**
 * The lab: real hosts (systemd, sshd, Apache) as containers of the controller's Docker engine, reachable
 * over SSH on 127.0.10.N, with a generated inventory: `isaqal09` Debian 12, `isaqal10` RHEL-shaped,
 * `isaqal11` Debian 13 (further hosts Debian 12), a bastion, and on every host a non-root sudo user admitted only through the bastion.
 * `ensureLab` is what tests call. Apart from it, `lightUp` brings light hosts (sshd and Apache only) for
 * measuring the controller at fleet size.
 */
import { join } from "node:path";
import { ensureLabBuilds, type LabImages } from "./app_images.ts";
import { productionNames, tagProductionNames } from "./lines.ts";
import { ensureProxy, ensureRegistry, publishImages, REGISTRY_CA_FILE } from "./registry.ts";
import {
  ensureHostContainer,
  ensureLightContainer,
  ensureNetwork,
  execIn,
  existingHosts,
  existingLightHosts,
  type HostAction,
  inspectHost,
  removeLab,
  removeLightHosts,
  systemdState,
  waitHostReady,
  waitLightReady,
} from "./containers.ts";
import { engineUp, ensureEngine } from "./engine.ts";
import { ensureControllerTools } from "./controller_tools.ts";
import { pool } from "../base/pool.ts";
import { ensureBastion, ensureHostAccess } from "./access.ts";
import { ensureHostImage } from "./host_image.ts";
import { writeInventory, writeLightInventory } from "./inventory.ts";
import {
  BASTION,
  containerName,
  type HostFlavour,
  hostFlavour,
  hostName,
  LAB_DIR,
  labFiles,
  LIGHT,
  lightHostName,
  loopbackAddress,
  NETWORK,
  networkAddress,
  OPS_USER,
} from "./layout.ts";
import { ensureRegistrySecret, ensureSecrets, LAB_USER } from "./secrets.ts";
import { ensureClientKey, ensureHostKey, sshRun, writeLightSshFiles, writeSshFiles } from "./ssh.ts";

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
  /** Non-root login user on every host (password-less sudo, no `docker` group), admitted only from the bastion. */
  opsUser: string;
}

/** Result of `labUp`. */
export interface LabUpResult {
  /** Whether anything was created or started (false: the lab was already as asked). */
  changed: boolean;
  info: LabInfo;
}

/** Default number of hosts. */
export const DEFAULT_HOSTS = 3;

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
  // Long on purpose: the lab's bring-up in order (engine, images, network, hosts, files), under one lock.
  return withLock(async () => {
    await ensureControllerTools(["lab"], log);
    await ensureEngine(log);
    const wanted = Array.from({ length: hosts }, (_, i) => hostName(i + 1));
    const all = [...new Set([...wanted, ...await existingHosts()])].sort();
    // Debian's image always (the bastion runs it too), then the other flavours in use; one at a time:
    // each build is a debootstrap that keeps both CPUs busy.
    const hostImages: Partial<Record<HostFlavour, string>> = { debian: await ensureHostImage(log, "debian") };
    for (const f of new Set(all.map(hostFlavour))) hostImages[f] ??= await ensureHostImage(log, f);
    const hostImage = hostImages.debian!;
    const images = await labImages(log);
    const clientPub = await ensureClientKey();
    const password = await ensureSecrets();
    const registryPassword = await ensureRegistrySecret();
    const networkCreated = await ensureNetwork();
    if (networkCreated) log(`network: created ${NETWORK.name} (${NETWORK.subnet})`);
    // The registry holds the images before any host could ask for them; the proxy stands before it.
    const registryChanged = await ensureRegistry(registryPassword, log);
    const published = await publishImages(images, registryPassword, log);
    const proxyChanged = await ensureProxy(log);
    const caPem = await Deno.readTextFile(REGISTRY_CA_FILE);

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
    await Promise.all(all.map((n) => ensureHostAccess(n, clientPub, caPem)));
    const extra = all.filter((n) => !wanted.includes(n)).join(", ");
    if (extra) log(`kept ${extra}: \`up --hosts ${hosts}\` removes no host (\`lab down\` removes them all)`);
    await writeInventory(all, images);

    const changed = networkCreated || bastionChanged || registryChanged || proxyChanged ||
      published.length > 0 ||
      [...actions.values()].some((a) => a !== "unchanged");
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

/**
 * The lab's images under their production names: the Debian builds of the production lines (built unless
 * present), checked against the pinned lines and tagged with the pinned references.
 */
export async function labImages(log: (line: string) => void): Promise<LabImages> {
  const builds = await ensureLabBuilds(log);
  const names = await productionNames(builds);
  await tagProductionNames(builds, names);
  return names;
}

/** Result of `lightUp`. */
export interface LightUpResult {
  /** Whether any light host was created, replaced or started. */
  changed: boolean;
  /** Every light host (sorted), not only the ones asked for. */
  hosts: LabHostInfo[];
  /** .lab/light-inventory.yml */
  inventory: string;
  /** .lab/light_ssh_config (use with `ssh -F`). */
  sshConfig: string;
  /** The light host image. */
  image: string;
}

/**
 * Ensures light hosts 1..`count` (`isalight01`…) run and let the controller in over SSH (building the
 * light image, keys and network as needed), and writes their light_ssh_config, light_known_hosts and
 * light-inventory.yml in .lab/. Leaves the normal lab alone; never removes a light host.
 */
export function lightUp(count: number, log: (line: string) => void = console.log): Promise<LightUpResult> {
  if (!Number.isInteger(count) || count < 1 || count > LIGHT.max) {
    throw new Error(`light hosts: 1 to ${LIGHT.max}, not ${count}`);
  }
  return withLock(async () => {
    await ensureControllerTools(["lab"], log);
    await ensureEngine(log);
    const wanted = Array.from({ length: count }, (_, i) => lightHostName(i + 1));
    const all = [...new Set([...wanted, ...await existingLightHosts()])].sort();
    const image = await ensureHostImage(log, "light");
    const images = await labImages(log);
    const clientPub = await ensureClientKey();
    await ensureSecrets();
    if (await ensureNetwork(LIGHT.network)) {
      log(`network: created ${LIGHT.network.name} (${LIGHT.network.subnet})`);
    }
    const keys = new Map(await Promise.all(all.map(async (n) => [n, await ensureHostKey(n)] as const)));
    await writeLightSshFiles(all.map((name) => ({ name, publicKey: keys.get(name)!.publicKey })));
    // A few at a time: the engine serialises much of a container's creation anyway.
    const results = await pool(all, 4, async (name) => {
      const r = await ensureLightContainer(name, image, keys.get(name)!, clientPub);
      if (r.action !== "unchanged") {
        log(`${name}: ${r.action} ${containerName(name)} on ${loopbackAddress(name)}`);
      }
      return { name, ...r };
    });
    await pool(all, 10, (name) => waitLightReady(name));
    await writeLightInventory(all, images);
    const changed = results.some((r) => r.action !== "unchanged");
    log(
      changed
        ? `lab up --light: ${all.length} light host(s) ready (${all[0]}…${
          all.at(-1)
        }); inventory: ${labFiles.lightInventory}`
        : `lab up --light: nothing to change (${all.length} light host(s) up)`,
    );
    return {
      changed,
      hosts: results.map((r) => ({
        name: r.name,
        address: loopbackAddress(r.name),
        container: containerName(r.name),
        id: r.id,
        flavour: "light" as const,
        networkAddress: networkAddress(r.name),
      })),
      inventory: labFiles.lightInventory,
      sshConfig: labFiles.lightSshConfig,
      image,
    };
  });
}

/** Removes every light host, their network and .lab/light-inventory.yml; the normal lab stays as it is. */
export function lightDown(log: (line: string) => void = console.log): Promise<string[]> {
  return withLock(async () => {
    if (!(await engineUp())) throw new Error("the Docker engine does not answer (`docker info` fails)");
    const r = await removeLightHosts();
    await Deno.remove(labFiles.lightInventory).catch(() => {});
    log(
      `light hosts removed: ${
        r.containers.length ? `${r.containers.length} (${r.containers.join(", ")})` : "none"
      }`,
    );
    log(`network ${LIGHT.network.name}: ${r.network ? "removed" : "absent"}`);
    return r.containers;
  });
}

/** Brings the lab up with at least `hosts` hosts (idempotent, about a second when it is already up). */
export async function ensureLab(hosts = DEFAULT_HOSTS): Promise<LabInfo> {
  return (await labUp(hosts, (line) => console.error(line))).info;
}

/**
 * Removes every lab container (light hosts included), volume and network, and the generated inventories;
 * keeps keys, known_hosts, ssh_config, secrets and the cached images.
 */
export function labDown(log: (line: string) => void = console.log): Promise<void> {
  return withLock(async () => {
    if (!(await engineUp())) throw new Error("the Docker engine does not answer (`docker info` fails)");
    const light = await removeLightHosts();
    const r = await removeLab();
    await Deno.remove(labFiles.inventory).catch(() => {});
    await Deno.remove(labFiles.lightInventory).catch(() => {});
    if (light.containers.length || light.network) {
      log(`light hosts removed: ${light.containers.length}; network ${LIGHT.network.name} removed`);
    }
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
  const names = [...await existingHosts(), ...await existingLightHosts()];
  return await Promise.all(names.map(async (name): Promise<LabHostStatus> => {
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
      systemd: hostFlavour(name) === "light" ? "none" : running ? await systemdState(name) : "-",
      ssh: running && (await sshRun(name, "true")).code === 0,
      docker: dockerCheck?.code === 0 ? dockerCheck.output.trim() : null,
    };
  }));
}
