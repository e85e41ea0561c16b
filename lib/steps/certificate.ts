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
import { ownPrivateFile } from "../commands/files.ts";
import { CERT_NAME_RE, type CertPaths, makeCertificate } from "../commands/certificate.ts";

/** Renew when the certificate expires within this many seconds (30 days). */
export const RENEW_BEFORE_SECONDS = 30 * 24 * 3600;
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

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
    else if (CERT_NAME_RE.test(n)) out.push(`DNS:${n}`);
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
 * The certificate's changes (each a command) from the batched probe: (re)create it, or fix the key's mode and owner
 * (`keyOwner`). `willChange` tells the caller that the certificate's content will differ after apply.
 */
export function planCertificate(
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
        // Built now, not when applied: its name check can't fail here, as hostSubjectAltNames has
        // already refused an fqdn it would refuse.
        command: makeCertificate(p, host.vars.fqdn, sans, keyOwner, "0:0"),
      }],
    };
  }
  if (state.keyMode !== `600 ${keyOwner}`) {
    return {
      willChange: false,
      changes: [{
        summary: `set mode 0600 owner ${keyOwner} on ${p.key} (was ${state.keyMode || "unknown"})`,
        command: ownPrivateFile(p.key, keyOwner),
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
  host: Host,
  p: CertPaths,
  probe: HostProbe,
  desired: DesiredFiles,
  keyOwner = "0:0",
): Change[] {
  const cert = planCertificate(host, p, probe, keyOwner);
  desired[p.cert] = cert.willChange ? PENDING : probe.files[p.cert];
  return cert.changes;
}
