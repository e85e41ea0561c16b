/**
 * Names and addresses of the lab: where its files live, what its hosts, containers, volumes and network
 * are called. Pure functions, no I/O.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Project root (the folder holding deno.json). */
export const PROJECT_ROOT: string = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

/** The lab's git-ignored state folder: keys, ssh_config, known_hosts, inventory, secrets. */
export const LAB_DIR: string = join(PROJECT_ROOT, ".lab");

/** Recipe folder of the host image. */
export const HOST_RECIPE_DIR: string = join(PROJECT_ROOT, "files", "lab", "host");

/** Docker network of the lab; its subnet lies outside Docker's default pools so a host's inner engine keeps 172.17.0.0/16. */
export const NETWORK = { name: "isa-lab", subnet: "10.209.9.0/24", gateway: "10.209.9.1" } as const;

/** Ports published on each host's loopback address. */
export const PUBLISHED_PORTS: readonly number[] = [22, 80, 8080, 8443];

/** Label put on every container, volume and network the lab creates. */
export const LAB_LABEL = "isa-lab";

/** Domain of the hosts' FQDNs (`isaqal09.lab.internal`). */
export const LAB_DOMAIN = "lab.internal";

/** Number of the i-th host (1-based): 9, 10, 11… as in isaqal09, isaqal10. */
export function hostNumber(i: number): number {
  return 8 + i;
}

/** Name of the i-th host (1-based): `isaqal09`, `isaqal10`, `isaqal11`… */
export function hostName(i: number): string {
  return `isaqal${String(hostNumber(i)).padStart(2, "0")}`;
}

/** Number in a lab host's name (`isaqal10` → 10). */
export function numberOf(name: string): number {
  const m = /^isaqal(\d+)$/.exec(name);
  if (!m) throw new Error(`not a lab host name: ${name}`);
  return Number(m[1]);
}

/** Loopback address the host's ports are published on (`isaqal09` → 127.0.10.9). */
export function loopbackAddress(name: string): string {
  return `127.0.10.${numberOf(name)}`;
}

/** Fixed address of the host on the lab network (`isaqal09` → 10.209.9.9). */
export function networkAddress(name: string): string {
  return `10.209.9.${numberOf(name)}`;
}

/** Container of a host (`isa-lab-isaqal09`). */
export function containerName(name: string): string {
  return `isa-lab-${name}`;
}

/** Named volume holding a host's `/var/lib/docker` (`isa-lab-isaqal09-docker`). */
export function dockerVolumeName(name: string): string {
  return `isa-lab-${name}-docker`;
}

/** Files of the lab folder. */
export const labFiles = {
  clientKey: join(LAB_DIR, "id_ed25519"),
  knownHosts: join(LAB_DIR, "known_hosts"),
  sshConfig: join(LAB_DIR, "ssh_config"),
  inventory: join(LAB_DIR, "inventory.yml"),
  secrets: join(LAB_DIR, "secrets.yml"),
  dockerdLog: join(LAB_DIR, "dockerd.log"),
  /** Folder of one host's stable SSH host key. */
  hostKeyDir: (name: string): string => join(LAB_DIR, "hostkeys", name),
} as const;
