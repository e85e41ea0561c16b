/**
 * The lab's registry and proxy, so that lab hosts pull the production image names as production does:
 * Debian's docker-registry (the CNCF distribution registry) serving HTTPS with a certificate of the lab's
 * registry CA and htpasswd basic auth, holding the lab builds of the production lines under the pinned
 * names (`quay.io/prometheus/prometheus:v3.5.5`…); and Debian's squid, through which the RHEL-shaped host
 * reaches it. Both run from the services image (files/lab/services/), one program per container.
 */
import { join } from "node:path";
import $ from "dax";
import { stringify } from "yaml";
// @ts-types="@types/dockerode"
import type Docker from "dockerode";
import { hashPassword } from "../render/htpasswd.ts";
import { docker, followProgress } from "./engine.ts";
import { execIn } from "./containers.ts";
import { ensureHostImage } from "./host_image.ts";
import { LAB_DIR, LAB_LABEL, NETWORK, PROXY, REGISTRY } from "./layout.ts";
import { certificateValid, issueServerCertificate } from "./pki.ts";
import type { LabImages } from "./app_images.ts";

/** Where the registry's configuration, certificate and htpasswd live on the controller (mounted read-only). */
export const REGISTRY_DIR: string = join(LAB_DIR, "registry");

/** Where the proxy's configuration lives on the controller (mounted read-only). */
const PROXY_DIR = join(LAB_DIR, "proxy");

/** The lab registry CA's certificate (PEM): what lab hosts trust for the registry names. */
export const REGISTRY_CA_FILE: string = join(REGISTRY_DIR, "ca.pem");

/** Label of the lab's service containers, with the configuration they run (replaced when it changes). */
const CONFIG_LABEL = `${LAB_LABEL}.config`;

/** The registry's configuration (distribution 2.8's config.yml): TLS, htpasswd, an access log on stderr. */
export function registryConfig(): string {
  return stringify({
    version: 0.1,
    log: { level: "info", formatter: "text", accesslog: { disabled: false } },
    storage: { filesystem: { rootdirectory: "/var/lib/docker-registry" }, delete: { enabled: false } },
    http: {
      addr: ":443",
      tls: { certificate: "/etc/isa-lab/registry.pem", key: "/etc/isa-lab/registry.key" },
      headers: { "X-Content-Type-Options": ["nosniff"] },
    },
    auth: { htpasswd: { realm: "isa-lab registry", path: "/etc/isa-lab/htpasswd" } },
  });
}

/**
 * squid's configuration: CONNECT to port 443 only, from the lab network only, nothing cached, the access
 * log in its file (a test reads the CONNECTs there).
 */
export function proxyConfig(): string {
  return [
    `http_port ${PROXY.port}`,
    `acl lab src ${NETWORK.subnet}`,
    "acl SSL_ports port 443",
    "acl CONNECT method CONNECT",
    "http_access deny CONNECT !SSL_ports",
    "http_access allow lab",
    "http_access deny all",
    "cache deny all",
    "access_log stdio:/var/log/squid/access.log squid",
    "pid_filename /run/squid.pid",
    "coredump_dir /var/spool/squid",
    "shutdown_lifetime 1 seconds",
    "",
  ].join("\n");
}

/**
 * Makes the registry's files unless present and valid for a day more: the CA and a certificate for the
 * registry names and its addresses (valid 30 days), the htpasswd of `password`, the configuration.
 */
async function registryFiles(password: string): Promise<void> {
  await Deno.mkdir(REGISTRY_DIR, { recursive: true, mode: 0o700 });
  const cert = join(REGISTRY_DIR, "registry.pem");
  if (!(await certificateValid(cert, 86_400))) {
    await issueServerCertificate(REGISTRY_DIR, "isa-lab registry CA", "registry", {
      dns: [...REGISTRY.names],
      ip: [REGISTRY.ip, REGISTRY.loopback],
    }, 30);
  }
  const htpasswd = join(REGISTRY_DIR, "htpasswd");
  const current = await Deno.readTextFile(htpasswd).catch(() => "");
  const hash = current.split("\n").find((l) => l.startsWith(`${REGISTRY.user}:`))?.slice(
    REGISTRY.user.length + 1,
  );
  const bcrypt = await import("bcryptjs");
  if (!hash || !(await bcrypt.default.compare(password, hash))) {
    await Deno.writeTextFile(htpasswd, `${REGISTRY.user}:${await hashPassword(password)}\n`, { mode: 0o600 });
  }
  await Deno.writeTextFile(join(REGISTRY_DIR, "config.yml"), registryConfig());
}

/** A running service container as asked (same image, same configuration), else created anew. */
async function ensureService(
  name: string,
  image: string,
  config: string,
  create: Docker.ContainerCreateOptions,
): Promise<boolean> {
  const d = docker();
  const existing = await d.getContainer(name).inspect().catch(() => undefined);
  const same = existing && existing.Config.Image === image &&
    existing.Config.Labels?.[CONFIG_LABEL] === config;
  if (same && existing.State.Running) return false;
  if (same) {
    await d.getContainer(name).start();
    return true;
  }
  if (existing) await d.getContainer(name).remove({ force: true });
  const c = await d.createContainer({
    ...create,
    name,
    Image: image,
    Labels: { [LAB_LABEL]: "service", [CONFIG_LABEL]: config },
  });
  await c.start();
  return true;
}

/** A short fingerprint of a configuration text (a label value). */
async function fingerprint(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].slice(0, 8).map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Waits until the registry answers its API (401 without login) on the controller's loopback address. */
async function waitRegistry(): Promise<void> {
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(REGISTRY_CA_FILE)] });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = await fetch(`https://${REGISTRY.loopback}/v2/`, { client }).then(
        async (r) => (await r.body?.cancel(), r.status),
        () => 0,
      );
      if (status === 401) return;
      if (Date.now() > deadline) {
        const logs = await $`docker logs --tail 20 ${REGISTRY.container}`.captureCombined().quiet().noThrow();
        throw new Error(
          `the lab registry does not answer on ${REGISTRY.loopback}:443 (got ${status}):\n${logs.combined}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    client.close();
  }
}

/** Ensures the registry runs (services image, its files, its volume); true when anything changed. */
export async function ensureRegistry(password: string, log: (line: string) => void): Promise<boolean> {
  const image = await ensureHostImage(log, "services");
  await registryFiles(password);
  const files = await Promise.all(
    ["config.yml", "registry.pem", "htpasswd"].map((f) => Deno.readTextFile(join(REGISTRY_DIR, f))),
  );
  // Labelled, so `lab down` removes it with the lab's other volumes.
  await docker().createVolume({ Name: REGISTRY.volume, Labels: { [LAB_LABEL]: "volume" } });
  const changed = await ensureService(REGISTRY.container, image, await fingerprint(files.join("\0")), {
    Cmd: ["/usr/bin/docker-registry", "serve", "/etc/isa-lab/config.yml"],
    ExposedPorts: { "443/tcp": {} },
    HostConfig: {
      RestartPolicy: { Name: "unless-stopped" },
      NetworkMode: NETWORK.name,
      PortBindings: { "443/tcp": [{ HostIp: REGISTRY.loopback, HostPort: "443" }] },
      Mounts: [
        { Type: "bind", Source: REGISTRY_DIR, Target: "/etc/isa-lab", ReadOnly: true },
        { Type: "volume", Source: REGISTRY.volume, Target: "/var/lib/docker-registry" },
      ],
    },
    NetworkingConfig: { EndpointsConfig: { [NETWORK.name]: { IPAMConfig: { IPv4Address: REGISTRY.ip } } } },
  });
  if (changed) {
    log(
      `registry: ${REGISTRY.container} on ${REGISTRY.ip} (${
        REGISTRY.names.join(", ")
      }), ${REGISTRY.loopback}:443`,
    );
  }
  await waitRegistry();
  return changed;
}

/** Ensures the proxy runs (squid, from the services image); true when anything changed. */
export async function ensureProxy(log: (line: string) => void): Promise<boolean> {
  const image = await ensureHostImage(log, "services");
  await Deno.mkdir(PROXY_DIR, { recursive: true });
  const config = proxyConfig();
  await Deno.writeTextFile(join(PROXY_DIR, "squid.conf"), config);
  const changed = await ensureService(PROXY.container, image, await fingerprint(config), {
    // -N: in the foreground; squid itself drops to its `proxy` user.
    Cmd: ["/usr/sbin/squid", "-N", "-f", "/etc/isa-lab/squid.conf"],
    HostConfig: {
      RestartPolicy: { Name: "unless-stopped" },
      NetworkMode: NETWORK.name,
      // squid resolves the registry names itself (a CONNECT carries the name): to the lab registry.
      ExtraHosts: REGISTRY.names.map((n) => `${n}:${REGISTRY.ip}`),
      Mounts: [{ Type: "bind", Source: PROXY_DIR, Target: "/etc/isa-lab", ReadOnly: true }],
    },
    NetworkingConfig: { EndpointsConfig: { [NETWORK.name]: { IPAMConfig: { IPv4Address: PROXY.ip } } } },
  });
  if (changed) log(`proxy: ${PROXY.container} (squid) on ${PROXY.ip}:${PROXY.port}`);
  const deadline = Date.now() + 30_000;
  while (
    (await execIn(PROXY.container, ["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${PROXY.port}`])).code !== 0
  ) {
    if (Date.now() > deadline) throw new Error(`squid does not listen on ${PROXY.ip}:${PROXY.port}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return changed;
}

/** The proxy URL lab hosts behind it are given (`proxy:` in their inventory). */
export const PROXY_URL = `http://${PROXY.ip}:${PROXY.port}`;

/** Whether the registry holds `ref` (a production name) with the manifest of digest `digest`. */
async function registryHas(ref: string, password: string): Promise<string | undefined> {
  const [, path, tag] = /^[^/]+\/(.+):([^:/]+)$/.exec(ref) ?? [];
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(REGISTRY_CA_FILE)] });
  try {
    const r = await fetch(`https://${REGISTRY.loopback}/v2/${path}/manifests/${tag}`, {
      method: "HEAD",
      client,
      headers: {
        authorization: `Basic ${btoa(`${REGISTRY.user}:${password}`)}`,
        accept: "application/vnd.docker.distribution.manifest.v2+json",
      },
    });
    await r.body?.cancel();
    return r.ok ? r.headers.get("docker-content-digest") ?? undefined : undefined;
  } finally {
    client.close();
  }
}

/** The production name's repository on the registry's loopback address: `quay.io/a/b:t` → `127.0.10.3/a/b`. */
function loopbackRepo(ref: string): string {
  return `${REGISTRY.loopback}/${ref.slice(ref.indexOf("/") + 1, ref.lastIndexOf(":"))}`;
}

/**
 * Publishes each lab image into the registry under its production name (pushing it as
 * `<loopback>/<path>:<tag>`, the same repository and tag the hosts ask `quay.io` for), unless the
 * registry already holds that image's manifest. Returns the names pushed.
 */
export async function publishImages(
  images: LabImages,
  password: string,
  log: (line: string) => void,
): Promise<string[]> {
  const d = docker();
  const pushed: string[] = [];
  for (const ref of new Set(Object.values(images))) {
    const tag = ref.slice(ref.lastIndexOf(":") + 1);
    const local = loopbackRepo(ref);
    const info = await d.getImage(ref).inspect();
    const digest = await registryHas(ref, password);
    if (digest && info.RepoDigests?.includes(`${local}@${digest}`)) continue;
    await d.getImage(ref).tag({ repo: local, tag });
    const stream = await d.getImage(`${local}:${tag}`).push({
      authconfig: { username: REGISTRY.user, password, serveraddress: REGISTRY.loopback },
    });
    // The loopback tag stays: its RepoDigests entry is how the next run knows the push is done.
    const events = await followProgress(stream) as { error?: string }[];
    const failed = events.find((e) => e.error);
    if (failed) throw new Error(`pushing ${ref} into the lab registry failed: ${failed.error}`);
    pushed.push(ref);
    log(`registry: published ${ref}`);
  }
  return pushed;
}

/** Removes the registry's and the proxy's containers and the registry's volume (nothing when absent). */
export async function removeServices(): Promise<void> {
  for (const c of [REGISTRY.container, PROXY.container]) {
    await docker().getContainer(c).remove({ force: true }).catch(() => {});
  }
  await docker().getVolume(REGISTRY.volume).remove().catch(() => {});
}
