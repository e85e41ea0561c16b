/**
 * The self-signed certificate of the HTTPS frontend, made on the host with openssl: created once,
 * renewed only when it expires within 30 days or no longer names the host (judged here from the
 * certificate's text the batched probe read).
 * The key never leaves the host: mode 0600, owned by the user the containers run as (the system user
 * isa-monitoring, lib/containers/service_account.ts); the certificate 0644, owned by root.
 */
import type { Change } from "../engine/change.ts";
import { type DesiredFiles, PENDING } from "../containers/container_change.ts";
import type { HostProbe, Stat } from "../facts/files_probe.ts";
import { X509Certificate } from "node:crypto";
import type { Host } from "../inventory/host.ts";
import { quote } from "../base/quote.ts";
import type { Ssh } from "../transport/ssh.ts";
import { exec } from "../transport/exec.ts";
import { ownPrivateFile } from "../commands/files.ts";

/** Renew when the certificate expires within this many seconds (30 days). */
export const RENEW_BEFORE_SECONDS = 30 * 24 * 3600;
/** Validity of a new certificate. */
export const CERT_DAYS = 825;

const NAME_RE = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Where the certificate and key go. */
export interface CertPaths {
  sslDir: string;
  cert: string;
  key: string;
}

/**
 * subjectAltName entries for a host: fqdn, inventory name and public address (DNS: or IP: as they
 * are), and the SSH address when it is an IP.
 */
export function subjectAltNames(
  fqdn: string,
  hostName: string,
  address: string,
  publicAddress = "",
): string[] {
  const out: string[] = [];
  for (const n of [fqdn, hostName, publicAddress].filter(Boolean)) {
    if (IPV4_RE.test(n)) out.push(`IP:${n}`);
    else if (NAME_RE.test(n)) out.push(`DNS:${n}`);
    else throw new Error(`'${n}' is not a valid name for the certificate`);
  }
  if (IPV4_RE.test(address)) out.push(`IP:${address}`);
  return [...new Set(out)];
}

/** The names of a host's certificate. */
export function hostSubjectAltNames(host: Host): string[] {
  return subjectAltNames(host.vars.fqdn, host.name, host.ssh.address, host.vars.public_address);
}

/** What the plan knows of the certificate and its key. */
export interface CertState {
  exists: boolean;
  valid: boolean;
  sans: string[];
  /** `mode uid:gid` of the key, "" when absent. */
  keyMode: string;
}

/**
 * The certificate's state from the batched probe: its text (read like any file; a certificate is
 * public) parsed here, and the key's stat only (the key never leaves the host). Validity is
 * `openssl x509 -checkend`'s rule: still valid RENEW_BEFORE_SECONDS from `now`.
 */
export function certificateState(certText: string | null, key: Stat | null, now = Date.now()): CertState {
  const keyMode = key ? `${key.mode} ${key.owner}` : "";
  if (certText === null || key === null) return { exists: false, valid: false, sans: [], keyMode };
  try {
    const c = new X509Certificate(certText);
    const sans = (c.subjectAltName ?? "").split(",").map((x) => x.trim().replace(/^IP Address:/, "IP:"))
      .filter(Boolean);
    return { exists: true, valid: Date.parse(c.validTo) > now + RENEW_BEFORE_SECONDS * 1000, sans, keyMode };
  } catch {
    // Not a certificate any more (edited, truncated): made again.
    return { exists: true, valid: false, sans: [], keyMode };
  }
}

/** Why the certificate must be (re)made, or null when the current one is fine. */
export function certificateReason(state: CertState, wanted: string[]): string | null {
  if (!state.exists) return "create";
  if (!state.valid) return "renew (expires within 30 days)";
  const have = new Set(state.sans);
  if (wanted.length !== have.size || wanted.some((s) => !have.has(s))) {
    return `renew (names change to ${wanted.join(", ")})`;
  }
  return null;
}

/**
 * Script that makes a new key and self-signed certificate next to the old ones, then renames them in
 * place. The openssl config is written with printf of quoted lines (no value reaches the shell
 * unquoted) and works on OpenSSL 1.0.2 (no -addext). The key goes to `owner`, the certificate to
 * `certOwner` (the same unless given).
 */
export function certificateScript(
  p: CertPaths,
  commonName: string,
  sans: string[],
  owner = "0:0",
  certOwner = owner,
): string {
  if (!NAME_RE.test(commonName)) throw new Error(`'${commonName}' is not a valid certificate name`);
  const cfg = [
    "[req]",
    "distinguished_name = dn",
    "x509_extensions = ext",
    "prompt = no",
    "[dn]",
    `CN = ${commonName}`,
    "[ext]",
    `subjectAltName = ${sans.join(",")}`,
    "basicConstraints = critical,CA:FALSE",
    "keyUsage = critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage = serverAuth",
  ];
  const d = quote(p.sslDir);
  const newKey = quote(`${p.key}.new`);
  const newCert = quote(`${p.cert}.new`);
  return [
    "set -eu",
    "umask 077",
    `mkdir -p ${d}`,
    `chmod 755 ${d}`,
    `cfg=$(mktemp)`,
    `trap 'rm -f "$cfg" ${newKey} ${newCert}' EXIT`,
    `printf '%s\\n' ${cfg.map(quote).join(" ")} > "$cfg"`,
    `openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days ${CERT_DAYS} -config "$cfg" -keyout ${newKey} -out ${newCert} 2>&1`,
    `chown ${quote(owner)} ${newKey}`,
    `chown ${quote(certOwner)} ${newCert}`,
    `chmod 600 ${newKey}`,
    `chmod 644 ${newCert}`,
    // Key first: a crash between the two renames leaves a mismatched pair, which the next run's
    // probe can't see; so both are replaced within one script and the cert last.
    `mv -f ${newKey} ${quote(p.key)}`,
    `mv -f ${newCert} ${quote(p.cert)}`,
    "trap - EXIT",
  ].join("\n") + "\n";
}

/**
 * The certificate's changes from the batched probe: (re)create it, or fix the key's mode and owner
 * (`keyOwner`). `willChange` tells the caller that the certificate's content will differ after apply.
 */
export function planCertificate(
  ssh: Ssh,
  host: Host,
  p: CertPaths,
  probe: HostProbe,
  keyOwner = "0:0",
): { changes: Change[]; willChange: boolean } {
  const state = certificateState(probed(probe.files, p.cert), probed(probe.stats, p.key));
  const sans = hostSubjectAltNames(host);
  const reason = certificateReason(state, sans);
  if (reason) {
    return {
      willChange: true,
      changes: [{
        summary: `${reason} self-signed certificate ${p.cert} for ${sans.join(", ")}`,
        apply: async () => {
          await ssh.run(certificateScript(p, host.vars.fqdn, sans, keyOwner, "0:0"), {
            log: `make certificate ${p.cert}`,
          });
        },
      }],
    };
  }
  if (state.keyMode !== `600 ${keyOwner}`) {
    return {
      willChange: false,
      changes: [{
        summary: `set mode 0600 owner ${keyOwner} on ${p.key} (was ${state.keyMode || "unknown"})`,
        apply: async () => {
          await exec(ssh, ownPrivateFile(p.key, keyOwner));
        },
      }],
    };
  }
  return { changes: [], willChange: false };
}

function probed<T>(from: Record<string, T | null>, path: string): T | null {
  if (!(path in from)) throw new Error(`the certificate's ${path} was not probed`);
  return from[path];
}

/** What a step that mounts the certificate asks the batched probe: the certificate, the key's stat. */
export function certificateNeeds(p: CertPaths): { files: string[]; stats: string[] } {
  return { files: [p.cert], stats: [p.key] };
}

/**
 * The certificate's changes for a container that mounts it (and reads the key as `keyOwner`); records
 * in `desired` what the container's spec hash sees: the file as the probe read it, or PENDING while a
 * new certificate is still to be made.
 */
export function mountedCertificate(
  ssh: Ssh,
  host: Host,
  p: CertPaths,
  probe: HostProbe,
  desired: DesiredFiles,
  keyOwner = "0:0",
): Change[] {
  const cert = planCertificate(ssh, host, p, probe, keyOwner);
  desired[p.cert] = cert.willChange ? PENDING : probe.files[p.cert];
  return cert.changes;
}
