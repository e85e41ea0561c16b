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

/** Recipe folder of the (Debian) host image. */
export const HOST_RECIPE_DIR: string = join(PROJECT_ROOT, "files", "lab", "host");

/**
 * Kinds of lab host: `debian` (Debian 12 as it is), `trixie` (Debian 13 as it is: the same recipe on
 * trixie's own packages, files/lab/host-trixie/), `rhel` (Debian's programs laid out and behaving as on
 * RHEL 9: os-release, httpd, the apachectl wrapper, rpm, firewalld; files/lab/host-rhel/) and `light`
 * (sshd and Apache only, no systemd, no Docker: the hosts of `lab up --light N`; files/lab/host-light/).
 */
export type HostFlavour = "debian" | "trixie" | "rhel" | "light";

/** Every flavour, in build order. */
export const FLAVOURS: readonly HostFlavour[] = ["debian", "trixie", "rhel", "light"];

/** Debian suite a recipe's tree is debootstrapped from (the RHEL-shaped host is Debian 12 underneath). */
export function suiteOf(recipe: ImageRecipe): "bookworm" | "trixie" {
  return recipe === "trixie" ? "trixie" : "bookworm";
}

/**
 * Recipe folders of an image, base first: a flavour that is another one on a newer suite (`trixie`)
 * reuses that one's recipe and lays its own folder over it (its rootfs/ files win; its packages.txt and
 * setup.sh, when it has them, replace the base's).
 */
export function recipeDirs(recipe: ImageRecipe): string[] {
  return recipe === "trixie" ? [HOST_RECIPE_DIR, recipeDir("trixie")] : [recipeDir(recipe)];
}

/**
 * Images built from a recipe folder: the hosts' flavours, the fresh controller of tests/fresh/, and the
 * lab's services (the registry and the proxy).
 */
export type ImageRecipe = HostFlavour | "controller" | "services";

/** Recipe folder of an image (files/lab/host/, files/lab/host-<flavour>/, files/lab/controller/, files/lab/services/). */
export function recipeDir(recipe: ImageRecipe): string {
  if (recipe === "controller" || recipe === "services") return join(PROJECT_ROOT, "files", "lab", recipe);
  return recipe === "debian" ? HOST_RECIPE_DIR : join(PROJECT_ROOT, "files", "lab", `host-${recipe}`);
}

/**
 * Flavour of a lab host: the default lab is one of each, `isaqal09` Debian 12, `isaqal10` RHEL-shaped and
 * `isaqal11` Debian 13; further hosts (isaqal12…, e.g. the bench's) are Debian 12.
 */
export function hostFlavour(name: string): HostFlavour {
  if (isLightHost(name)) return "light";
  return name === "isaqal10" ? "rhel" : name === "isaqal11" ? "trixie" : "debian";
}

/** Docker network of the lab; its subnet lies outside Docker's default pools so a host's inner engine keeps 172.17.0.0/16. */
export const NETWORK = { name: "isa-lab", subnet: "10.209.9.0/24", gateway: "10.209.9.1" } as const;

/**
 * The bastion (sshd only): container `isa-lab-bastion`, port 22 published on `loopback`, `address` on the
 * lab network, from which the hosts admit the ops user (see access.ts).
 */
export const BASTION = {
  name: "bastion",
  /** ssh_config alias, as an inventory's `jump:` names it. */
  alias: "isa-lab-bastion",
  loopback: "127.0.10.2",
  address: "10.209.9.2",
} as const;

/** The non-root login user on every lab host (sudo without password, in no `docker` group; see access.ts). */
export const OPS_USER = "isaops";

/** The bastion's only login: port forwarding for ProxyJump, no shell. */
export const JUMP_USER = "jump";

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

/**
 * The light hosts (`lab up --light N`): `isalight01`…, a name no `isaqalNN` can take, on loopback
 * 127.0.11.N (the normal hosts have 127.0.10.N) and on their own network `isa-lab-light` at 10.209.11.N, so
 * that neither kind can take an address the other one will want.
 */
export const LIGHT = {
  prefix: "isalight",
  /** Most light hosts `up --light` brings: addresses .1 to .200 of each /24. */
  max: 200,
  network: { name: "isa-lab-light", subnet: "10.209.11.0/24", gateway: "10.209.11.254" },
} as const;

/** Name of the i-th light host (1-based): `isalight01`, `isalight02`… */
export function lightHostName(i: number): string {
  if (!Number.isInteger(i) || i < 1 || i > LIGHT.max) throw new Error(`no light host number ${i}`);
  return `${LIGHT.prefix}${String(i).padStart(2, "0")}`;
}

/** Number in a light host's name (`isalight07` → 7); throws on another name. */
export function lightNumberOf(name: string): number {
  const m = new RegExp(`^${LIGHT.prefix}(\\d+)$`).exec(name);
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 1 && n <= LIGHT.max)) throw new Error(`not a light lab host name: ${name}`);
  return n;
}

/** Whether `name` is a light host's (`isalight07`). */
export function isLightHost(name: string): boolean {
  return new RegExp(`^${LIGHT.prefix}\\d+$`).test(name);
}

/** Loopback address the host's ports are published on (`isaqal09` → 127.0.10.9, `isalight07` → 127.0.11.7). */
export function loopbackAddress(name: string): string {
  return isLightHost(name) ? `127.0.11.${lightNumberOf(name)}` : `127.0.10.${numberOf(name)}`;
}

/** Fixed address of the host on its network (`isaqal09` → 10.209.9.9, `isalight07` → 10.209.11.7). */
export function networkAddress(name: string): string {
  return isLightHost(name) ? `10.209.11.${lightNumberOf(name)}` : `10.209.9.${numberOf(name)}`;
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
  /** Inventory of the light hosts (`lab up --light N`), apart from the normal lab's. */
  lightInventory: join(LAB_DIR, "light-inventory.yml"),
  /** ssh_config and known_hosts of the light hosts (same key and conventions as the lab's, other files). */
  lightSshConfig: join(LAB_DIR, "light_ssh_config"),
  lightKnownHosts: join(LAB_DIR, "light_known_hosts"),
  secrets: join(LAB_DIR, "secrets.yml"),
  dockerdLog: join(LAB_DIR, "dockerd.log"),
  /** Folder of one host's stable SSH host key. */
  hostKeyDir: (name: string): string => join(LAB_DIR, "hostkeys", name),
} as const;

/** Where the lab's Alertmanager runs. */
export const ALERTMANAGER = {
  container: "isa-lab-alertmanager",
  ip: "10.209.9.201",
  port: 9093,
} as const;

/** Where the lab's VictoriaMetrics runs. */
export const VICTORIA = {
  container: "isa-lab-victoria",
  ip: "10.209.9.202",
  port: 8428,
} as const;

/**
 * The lab registry (Debian's docker-registry, TLS from the lab's registry CA, basic auth): on the lab
 * network at `ip`, published for the controller's pushes on `loopback` (a 127/8 registry, which Docker
 * lets its engine push to without trusting the lab CA). Lab hosts resolve each of `names` to it, so the
 * production image references (`quay.io/prometheus/prometheus:v3.5.5`) are pulled from it.
 */
export const REGISTRY = {
  container: "isa-lab-registry",
  ip: "10.209.9.203",
  loopback: "127.0.10.3",
  volume: "isa-lab-registry-data",
  names: ["quay.io"],
  user: "isa-lab",
} as const;

/** The lab's forward proxy (Debian's squid): the only way the RHEL-shaped host reaches the registry. */
export const PROXY = {
  container: "isa-lab-proxy",
  ip: "10.209.9.204",
  port: 3128,
} as const;

/** The lab host that runs Prometheus' previous LTS line (2.53, classic UI); every other one runs 3.5. */
export const OLDEST_LINE_HOST = "isaqal09";

/** Whether lab host `name` reaches the registry only through the proxy (the RHEL-shaped host). */
export function behindProxy(name: string): boolean {
  return hostFlavour(name) === "rhel";
}
