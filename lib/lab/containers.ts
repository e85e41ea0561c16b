/**
 * The lab hosts as containers of the controller's engine: the lab network, each host's container and
 * `/var/lib/docker` volume, readiness (systemd and sshd), and removal of everything; likewise the light
 * hosts (`lab up --light N`: sshd and Apache only) on their own network.
 */
import { createHash } from "node:crypto";
// @ts-types="@types/dockerode"
import type Docker from "dockerode";
import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import $ from "dax";
import { docker } from "./engine.ts";
import {
  behindProxy,
  containerName,
  dockerVolumeName,
  hostFlavour,
  LAB_DOMAIN,
  LAB_LABEL,
  LIGHT,
  loopbackAddress,
  NETWORK,
  networkAddress,
  PUBLISHED_PORTS,
  REGISTRY,
} from "./layout.ts";
import type { HostKey } from "./ssh.ts";
import { sshRun } from "./ssh.ts";

/** Label keys on lab containers. */
const HOST_LABEL = `${LAB_LABEL}.host`;
const IMAGE_LABEL = `${LAB_LABEL}.image`;
const OWNER_LABEL = `${LAB_LABEL}.owner`;
/** Flavour of the host (`debian`, `rhel`); containers made before flavours existed have none: Debian. */
const FLAVOUR_LABEL = `${LAB_LABEL}.flavour`;
/**
 * Label of a light host's container (its name): not HOST_LABEL, so `lab up` never takes one for a normal
 * host; the container's `isa-lab` label still makes `lab down` remove it.
 */
const LIGHT_LABEL = `${LAB_LABEL}.light`;
/**
 * How a host container is wired beyond its image (today: which names resolve to the lab registry); a
 * container of another wiring is replaced, as one of another flavour is.
 */
const WIRING_LABEL = `${LAB_LABEL}.wiring`;

/**
 * Extra /etc/hosts entries of a lab host: the registry names resolve to the lab registry, except on a
 * host that reaches it only through the proxy (which resolves them itself).
 */
export function hostExtraHosts(name: string): string[] {
  return behindProxy(name) ? [] : REGISTRY.names.map((n) => `${n}:${REGISTRY.ip}`);
}

/** Run options verified on a cgroup v1 controller where `--privileged` fails: enough for systemd and an inner Docker. */
export const HOST_CONFIG: Docker.HostConfig & { CgroupnsMode: "host" | "private" } = {
  CapAdd: ["SYS_ADMIN", "NET_ADMIN", "NET_RAW", "SYS_PTRACE", "MKNOD"],
  SecurityOpt: ["seccomp=unconfined", "apparmor=unconfined"],
  CgroupnsMode: "host",
  Binds: ["/sys/fs/cgroup:/sys/fs/cgroup:rw"],
  Tmpfs: {
    "/run": "rw,nosuid,nodev,exec,mode=755",
    "/run/lock": "rw,nosuid,nodev,noexec",
    "/tmp": "rw,nosuid,nodev,exec,mode=1777",
  },
  // `docker restart` then behaves like a reboot, and hosts come back after the engine restarts.
  RestartPolicy: { Name: "unless-stopped" },
  NetworkMode: NETWORK.name,
};

/** Runs a command in a container (like `docker exec`); returns its exit code and merged output. */
export async function execIn(container: string, cmd: string[]): Promise<{ code: number; output: string }> {
  const r = await $`docker exec ${container} ${cmd}`.stdin("null").captureCombined().quiet().noThrow();
  return { code: r.code, output: r.combined };
}

/**
 * Creates the lab network (or `net`, e.g. the light hosts') unless it exists; fails when a network of
 * that name has another subnet.
 */
export async function ensureNetwork(
  net: { name: string; subnet: string; gateway: string } = NETWORK,
): Promise<boolean> {
  const info = await docker().getNetwork(net.name).inspect().catch(() => undefined);
  if (info) {
    const subnet = info.IPAM?.Config?.[0]?.Subnet;
    if (subnet !== net.subnet) {
      throw new Error(
        `network ${net.name} exists with subnet ${subnet}, expected ${net.subnet}; run \`deno task lab down\``,
      );
    }
    return false;
  }
  await docker().createNetwork({
    Name: net.name,
    Driver: "bridge",
    CheckDuplicate: true,
    IPAM: { Driver: "default", Config: [{ Subnet: net.subnet, Gateway: net.gateway }] },
    Labels: { [LAB_LABEL]: "network" },
  });
  return true;
}

/** Names of the lab hosts that have a container (running or not), sorted. */
export async function existingHosts(): Promise<string[]> {
  const list = await docker().listContainers({ all: true, filters: { label: [HOST_LABEL] } });
  return list.map((c) => c.Labels[HOST_LABEL]).sort();
}

/** Names of the light hosts that have a container (running or not), sorted. */
export async function existingLightHosts(): Promise<string[]> {
  const list = await docker().listContainers({ all: true, filters: { label: [LIGHT_LABEL] } });
  return list.map((c) => c.Labels[LIGHT_LABEL]).sort();
}

/** Inspection of a host's container, or undefined when it has none. */
export function inspectHost(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  return docker().getContainer(containerName(name)).inspect().catch(() => undefined);
}

/** Tar (as bytes) of the files injected into a new host: its host key and the controller's authorized key. */
export async function injectionTar(key: HostKey, authorizedKey: string): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "isa-lab-inject-" });
  try {
    const files: [string, string, number][] = [
      ["etc/ssh/ssh_host_ed25519_key", key.privateKey, 0o600],
      ["etc/ssh/ssh_host_ed25519_key.pub", key.publicKey + "\n", 0o644],
      ["root/.ssh/authorized_keys", authorizedKey + "\n", 0o600],
    ];
    for (const [path, text, mode] of files) {
      await Deno.mkdir(`${dir}/${path.replace(/\/[^/]+$/, "")}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${path}`, text, { mode });
      await Deno.chmod(`${dir}/${path}`, mode);
    }
    // Files only (no folder entries), so the image's /etc, /root and /root/.ssh keep their modes.
    return await $`tar -C ${dir} --owner=0 --group=0 --numeric-owner --no-recursion -cf - ${
      files.map((f) => f[0])
    }`
      .bytes();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** What `ensureHostContainer` did. */
export type HostAction = "created" | "replaced" | "started" | "unchanged";

/**
 * Makes sure host `name` has a running container of `image`: creates it (with its volume, fixed address,
 * published ports and injected keys) or starts it. An existing container is kept (a newer recipe of the
 * same flavour only gets a warning), except when it is of another flavour than `hostFlavour(name)` asks
 * (e.g. a Debian `isaqal10` from before the RHEL-shaped host): then it is replaced, volume included.
 */
export async function ensureHostContainer(
  name: string,
  image: string,
  key: HostKey,
  authorizedKey: string,
): Promise<{ action: HostAction; id: string; staleImage: boolean }> {
  // Long on purpose: inspect, decide (keep, start, replace) and create, for one host container.
  // The container carries a fingerprint of the client key it trusts: one made by another checkout
  // (another .lab/, e.g. CI's fresh clone on this machine) would refuse our key, so it is replaced.
  const owner = createHash("sha256").update(authorizedKey.trim()).digest("hex").slice(0, 16);
  const flavour = hostFlavour(name);
  let existing = await inspectHost(name);
  const foundOwner = existing?.Config.Labels?.[OWNER_LABEL];
  const foundFlavour = existing?.Config.Labels?.[FLAVOUR_LABEL] ?? "debian";
  const extraHosts = hostExtraHosts(name);
  const wiring = extraHosts.join(",") || "-";
  let replaced = false;
  if (
    existing &&
    ((foundOwner !== undefined && foundOwner !== owner) || foundFlavour !== flavour ||
      existing.Config.Labels?.[WIRING_LABEL] !== wiring)
  ) {
    await docker().getContainer(existing.Id).remove({ force: true, v: true });
    await docker().getVolume(dockerVolumeName(name)).remove().catch(() => {});
    existing = undefined;
    replaced = true;
  }
  if (existing) {
    const staleImage = existing.Config.Labels?.[IMAGE_LABEL] !== image;
    if (existing.State.Running) return { action: "unchanged", id: existing.Id, staleImage };
    await docker().getContainer(existing.Id).start();
    return { action: "started", id: existing.Id, staleImage };
  }
  const addr = loopbackAddress(name);
  await docker().createVolume({
    Name: dockerVolumeName(name),
    Labels: { [LAB_LABEL]: "volume", [HOST_LABEL]: name },
  });
  const tcp = PUBLISHED_PORTS.map((p) => `${p}/tcp`);
  const c = await docker().createContainer({
    name: containerName(name),
    Hostname: name,
    Domainname: LAB_DOMAIN,
    Image: image,
    Env: ["container=docker"],
    StopSignal: "SIGRTMIN+3",
    Labels: {
      [LAB_LABEL]: "host",
      [HOST_LABEL]: name,
      [IMAGE_LABEL]: image,
      [OWNER_LABEL]: owner,
      [FLAVOUR_LABEL]: flavour,
      [WIRING_LABEL]: wiring,
    },
    ExposedPorts: Object.fromEntries(tcp.map((p) => [p, {}])),
    HostConfig: {
      ...HOST_CONFIG,
      ExtraHosts: extraHosts,
      Mounts: [{ Type: "volume", Source: dockerVolumeName(name), Target: "/var/lib/docker" }],
      PortBindings: Object.fromEntries(tcp.map((p) => [p, [{ HostIp: addr, HostPort: p.split("/")[0] }]])),
    },
    NetworkingConfig: {
      EndpointsConfig: {
        [NETWORK.name]: { IPAMConfig: { IPv4Address: networkAddress(name) }, Aliases: [name] },
      },
    },
  });
  await c.putArchive(Readable.from([Buffer.from(await injectionTar(key, authorizedKey))]), { path: "/" });
  await c.start();
  return { action: replaced ? "replaced" : "created", id: c.id, staleImage: false };
}

/** systemd's state in a host (`running`, `degraded`, `starting`…), or `booting` when it can't answer yet. */
export async function systemdState(name: string): Promise<string> {
  const r = await execIn(containerName(name), ["systemctl", "is-system-running"]);
  const last = r.output.trim().split("\n").pop() ?? "";
  // Before systemd's bus is up the answer is an error message: the host is still booting.
  return /^[a-z-]+$/.test(last) ? last : "booting";
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function diagnostics(name: string): Promise<string> {
  const logs = await $`docker logs --tail 30 ${containerName(name)}`.captureCombined().quiet().noThrow();
  const failed = await execIn(containerName(name), ["systemctl", "--failed", "--no-legend", "--plain"]);
  return `--- last lines of ${containerName(name)}'s console ---\n${logs.combined.trim()}\n` +
    `--- failed units ---\n${failed.output.trim() || "(none)"}`;
}

/** Waits until the host's systemd is running/degraded and sshd lets the controller in; throws with diagnostics. */
export async function waitHostReady(
  name: string,
  log: (line: string) => void,
  timeoutMs = 120_000,
): Promise<void> {
  const started = Date.now();
  let state = "";
  let last = 0;
  for (;;) {
    state = await systemdState(name);
    if (state === "running" || state === "degraded") break;
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `${name}: systemd is still "${state}" after ${timeoutMs / 1000} s\n${await diagnostics(name)}`,
      );
    }
    if (Date.now() - last > 10_000) {
      log(
        `  ${name}: waiting for systemd (${state || "no answer"}) [${
          Math.round((Date.now() - started) / 1000)
        }s]`,
      );
      last = Date.now();
    }
    await sleep(500);
  }
  for (;;) {
    const r = await sshRun(name, "true");
    if (r.code === 0) break;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`${name}: ssh does not get in: ${r.stderr.trim()}\n${await diagnostics(name)}`);
    }
    await sleep(500);
  }
  log(`  ${name}: ready (systemd ${state}, ssh ok) [${Math.round((Date.now() - started) / 1000)}s]`);
}

/** Removes every lab container, the lab's volumes and the network; returns what was removed. */
export async function removeLab(): Promise<{ containers: string[]; volumes: string[]; network: boolean }> {
  const d = docker();
  // Hosts, and anything else a test attached to the lab (e.g. a remote-write receiver left by a
  // run that died before its cleanup): the network can only go once nothing is on it.
  const list = [
    ...await d.listContainers({ all: true, filters: { label: [HOST_LABEL] } }),
    ...await d.listContainers({ all: true, filters: { label: [LAB_LABEL] } }),
  ].filter((c, i, all) => all.findIndex((x) => x.Id === c.Id) === i);
  for (const c of list) await d.getContainer(c.Id).remove({ force: true, v: true });
  const { Volumes } = await d.listVolumes({ filters: { name: ["isa-lab-"] } });
  const volumes = (Volumes ?? []).filter((v) => v.Labels?.[LAB_LABEL] || /^isa-lab-.+-docker$/.test(v.Name));
  for (const v of volumes) await d.getVolume(v.Name).remove();
  const network = await d.getNetwork(NETWORK.name).remove().then(() => true, () => false);
  return {
    containers: list.map((c) => c.Names[0].replace(/^\//, "")),
    volumes: volumes.map((v) => v.Name),
    network,
  };
}

/**
 * Run options of a light host: no systemd and no inner engine, so none of HOST_CONFIG's cgroup access;
 * NET_ADMIN and NET_RAW only, so that iptables and nft answer the probes as on a normal host.
 */
export const LIGHT_HOST_CONFIG: Docker.HostConfig = {
  CapAdd: ["NET_ADMIN", "NET_RAW"],
  Tmpfs: {
    "/run": "rw,nosuid,nodev,exec,mode=755",
    "/tmp": "rw,nosuid,nodev,exec,mode=1777",
  },
  RestartPolicy: { Name: "unless-stopped" },
  NetworkMode: LIGHT.network.name,
};

/** Ports a light host publishes on its loopback address: SSH, and Apache for its mod_status. */
export const LIGHT_PORTS: readonly number[] = [22, 80];

/**
 * Makes sure light host `name` has a running container of `image` (sshd and Apache; files/lab/host-light/):
 * creates it with its fixed address, published ports and injected keys, or starts it. One of another image
 * or made by another checkout is replaced: a light host keeps no state worth keeping.
 */
export async function ensureLightContainer(
  name: string,
  image: string,
  key: HostKey,
  authorizedKey: string,
): Promise<{ action: HostAction; id: string }> {
  const owner = createHash("sha256").update(authorizedKey.trim()).digest("hex").slice(0, 16);
  let existing = await inspectHost(name);
  let replaced = false;
  const labels = existing?.Config.Labels ?? {};
  if (existing && (labels[OWNER_LABEL] !== owner || labels[IMAGE_LABEL] !== image || !labels[LIGHT_LABEL])) {
    await docker().getContainer(existing.Id).remove({ force: true, v: true });
    existing = undefined;
    replaced = true;
  }
  if (existing) {
    if (existing.State.Running) return { action: "unchanged", id: existing.Id };
    await docker().getContainer(existing.Id).start();
    return { action: "started", id: existing.Id };
  }
  const addr = loopbackAddress(name);
  const tcp = LIGHT_PORTS.map((p) => `${p}/tcp`);
  const c = await docker().createContainer({
    name: containerName(name),
    Hostname: name,
    Domainname: LAB_DOMAIN,
    Image: image,
    Labels: {
      [LAB_LABEL]: "light-host",
      [LIGHT_LABEL]: name,
      [IMAGE_LABEL]: image,
      [OWNER_LABEL]: owner,
      [FLAVOUR_LABEL]: "light",
    },
    ExposedPorts: Object.fromEntries(tcp.map((p) => [p, {}])),
    HostConfig: {
      ...LIGHT_HOST_CONFIG,
      PortBindings: Object.fromEntries(tcp.map((p) => [p, [{ HostIp: addr, HostPort: p.split("/")[0] }]])),
    },
    NetworkingConfig: {
      EndpointsConfig: {
        [LIGHT.network.name]: { IPAMConfig: { IPv4Address: networkAddress(name) }, Aliases: [name] },
      },
    },
  });
  await c.putArchive(Readable.from([Buffer.from(await injectionTar(key, authorizedKey))]), { path: "/" });
  await c.start();
  return { action: replaced ? "replaced" : "created", id: c.id };
}

/** Waits until a light host's sshd lets the controller in (Apache starts before it); throws with its console. */
export async function waitLightReady(name: string, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const r = await sshRun(name, "true");
    if (r.code === 0) return;
    if (Date.now() - started > timeoutMs) {
      const logs = await $`docker logs --tail 30 ${containerName(name)}`.captureCombined().quiet().noThrow();
      throw new Error(
        `${name}: ssh does not get in: ${r.stderr.trim()}\n--- last lines of its console ---\n${logs.combined.trim()}`,
      );
    }
    await sleep(300);
  }
}

/** Removes every light host's container and the light network (the normal lab stays); returns the containers. */
export async function removeLightHosts(): Promise<{ containers: string[]; network: boolean }> {
  const d = docker();
  const list = await d.listContainers({ all: true, filters: { label: [LIGHT_LABEL] } });
  await Promise.all(list.map((c) => d.getContainer(c.Id).remove({ force: true, v: true })));
  const network = await d.getNetwork(LIGHT.network.name).remove().then(() => true, () => false);
  return { containers: list.map((c) => c.Names[0].replace(/^\//, "")).sort(), network };
}
