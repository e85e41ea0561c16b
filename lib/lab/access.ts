/**
 * The access path operators use, in the lab: a bastion host (sshd only) and, on every lab host, a login
 * user other than root with password-less sudo, in no `docker` group (as on a fresh production host: the
 * Docker API goes through sudo), whom the host admits only from the bastion. So a run with `user: isaops` and `jump: isa-lab-bastion` goes through ProxyJump or nowhere.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { docker } from "./engine.ts";
import { execIn, HOST_CONFIG, injectionTar, inspectHost } from "./containers.ts";
import {
  BASTION,
  containerName,
  JUMP_USER,
  LAB_DOMAIN,
  LAB_LABEL,
  NETWORK,
  OPS_USER,
  REGISTRY,
} from "./layout.ts";
import type { HostKey } from "./ssh.ts";

/** Label holding a fingerprint of the client key the bastion trusts (as on the hosts). */
const OWNER_LABEL = `${LAB_LABEL}.owner`;

/** A POSIX sh function `put PATH MODE OWNER` that writes stdin to PATH only when it differs; prints `changed`. */
const PUT = `put() {
  t=$(mktemp); cat > "$t"
  if [ -f "$1" ] && cmp -s "$t" "$1"; then rm -f "$t"; return 0; fi
  chmod "$2" "$t"; chown "$3" "$t"; mv -f "$t" "$1"; echo changed
}`;

/**
 * Script (run as root in a host, idempotent) that creates the ops user with the controller's key,
 * password-less sudo, no `docker` group membership (taken back from hosts made when the lab gave it) and
 * an sshd rule admitting that user only from the bastion's address; root keeps direct access,
 * which the lab's own tooling uses.
 */
export function hostAccessScript(authorizedKey: string): string {
  return `set -eu
${PUT}
id -u ${OPS_USER} >/dev/null 2>&1 || useradd -m -s /bin/bash ${OPS_USER}
if id -nG ${OPS_USER} | tr ' ' '\\n' | grep -qx docker; then gpasswd -d ${OPS_USER} docker >/dev/null; fi
install -d -m 700 -o ${OPS_USER} -g ${OPS_USER} /home/${OPS_USER}/.ssh
printf '%s\\n' '${authorizedKey}' | put /home/${OPS_USER}/.ssh/authorized_keys 600 ${OPS_USER}:${OPS_USER} >/dev/null
printf '%s\\n' '${OPS_USER} ALL=(ALL) NOPASSWD: ALL' | put /etc/sudoers.d/isa-lab-ops 440 root:root >/dev/null
c=$(printf '%s\\n' '# isa-monitoring lab: ${OPS_USER} only through the bastion (ProxyJump); root directly.' \\
  'AllowUsers root ${OPS_USER}@${BASTION.address}' | put /etc/ssh/sshd_config.d/isa-lab-access.conf 644 root:root)
if [ -n "$c" ]; then systemctl reload ssh; fi
`;
}

/** Script (run as root in the bastion, idempotent): no web server, a jump user that may only forward. */
export function bastionSetupScript(authorizedKey: string): string {
  return `set -eu
${PUT}
systemctl mask --now apache2.service apache-htcacheclean.service >/dev/null 2>&1 || true
id -u ${JUMP_USER} >/dev/null 2>&1 || useradd -m -s /usr/sbin/nologin ${JUMP_USER}
install -d -m 700 -o ${JUMP_USER} -g ${JUMP_USER} /home/${JUMP_USER}/.ssh
printf '%s\\n' '${authorizedKey}' | put /home/${JUMP_USER}/.ssh/authorized_keys 600 ${JUMP_USER}:${JUMP_USER} >/dev/null
c=$(printf '%s\\n' '# isa-monitoring lab bastion: ${JUMP_USER} forwards (ProxyJump), nothing else.' \\
  'Match User ${JUMP_USER}' '  PermitTTY no' '  X11Forwarding no' '  AllowStreamLocalForwarding no' \\
  '  AllowTcpForwarding yes' | put /etc/ssh/sshd_config.d/isa-lab-bastion.conf 644 root:root)
if [ -n "$c" ]; then systemctl reload ssh; fi
`;
}

/**
 * Script (run as root in a host, idempotent) that makes the host trust the lab registry CA for the
 * registry names, as an operator's host trusts its mirror's CA: for dockerd, in
 * /etc/docker/certs.d/<name>/ca.crt (what Docker reads per registry: "Verify repository client with
 * certificates", docs.docker.com/engine/security/certificates/), and in the system store, for curl's
 * reachability check.
 */
export function registryTrustScript(caPem: string): string {
  const pem = caPem.trim().replaceAll("'", "");
  const perName = REGISTRY.names.map((n) =>
    `install -d -m 755 /etc/docker/certs.d/${n}\n` +
    `printf '%s\\n' '${pem}' | put /etc/docker/certs.d/${n}/ca.crt 644 root:root >/dev/null`
  );
  return `set -eu
${PUT}
${perName.join("\n")}
c=$(printf '%s\\n' '${pem}' | put /usr/local/share/ca-certificates/isa-lab-registry.crt 644 root:root)
if [ -n "$c" ]; then update-ca-certificates >/dev/null 2>&1; fi
`;
}

/**
 * Creates or refreshes the ops user on a running host, and its trust in the lab registry CA (`caPem`)
 * (one `docker exec`, about 0.2 s).
 */
export async function ensureHostAccess(name: string, authorizedKey: string, caPem: string): Promise<void> {
  const r = await execIn(containerName(name), [
    "sh",
    "-c",
    `${hostAccessScript(authorizedKey)}
${registryTrustScript(caPem)}`,
  ]);
  if (r.code !== 0) throw new Error(`${name}: setting up user ${OPS_USER} failed: ${r.output.trim()}`);
}

async function waitSystemd(container: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await execIn(container, ["systemctl", "is-system-running"]);
    if (/^(running|degraded)$/m.test(r.output)) return;
    if (Date.now() > deadline) throw new Error(`${container}: systemd not up after ${timeoutMs / 1000} s`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

/**
 * Makes sure the bastion runs: a container of the Debian host image (its Apache masked) named
 * `isa-lab-bastion`, on the lab network at BASTION.address, its port 22 published on BASTION.loopback,
 * with its stable host key and the jump user. Returns whether it was created or started.
 */
export async function ensureBastion(image: string, key: HostKey, authorizedKey: string): Promise<boolean> {
  const container = containerName(BASTION.name);
  // As for the hosts: a bastion made by another checkout (another .lab/, so another host key and client
  // key) would fail our known_hosts; it is replaced.
  const owner = createHash("sha256").update(authorizedKey.trim()).digest("hex").slice(0, 16);
  let existing = await inspectHost(BASTION.name);
  if (existing && existing.Config.Labels?.[OWNER_LABEL] !== owner) {
    await docker().getContainer(existing.Id).remove({ force: true });
    existing = undefined;
  }
  let changed = false;
  if (!existing) {
    const c = await docker().createContainer({
      name: container,
      Hostname: BASTION.name,
      Domainname: LAB_DOMAIN,
      Image: image,
      Env: ["container=docker"],
      StopSignal: "SIGRTMIN+3",
      // No host label: the bastion is not a deploy target (existingHosts() skips it; `lab down` removes it).
      Labels: { [LAB_LABEL]: "bastion", [OWNER_LABEL]: owner },
      ExposedPorts: { "22/tcp": {} },
      HostConfig: {
        ...HOST_CONFIG,
        PortBindings: { "22/tcp": [{ HostIp: BASTION.loopback, HostPort: "22" }] },
      },
      NetworkingConfig: {
        EndpointsConfig: {
          [NETWORK.name]: { IPAMConfig: { IPv4Address: BASTION.address }, Aliases: [BASTION.name] },
        },
      },
    });
    await c.putArchive(Readable.from([Buffer.from(await injectionTar(key, authorizedKey))]), { path: "/" });
    await c.start();
    changed = true;
  } else if (!existing.State.Running) {
    await docker().getContainer(container).start();
    changed = true;
  }
  await waitSystemd(container);
  const r = await execIn(container, ["sh", "-c", bastionSetupScript(authorizedKey)]);
  if (r.code !== 0) throw new Error(`bastion: setup failed: ${r.output.trim()}`);
  return changed;
}
