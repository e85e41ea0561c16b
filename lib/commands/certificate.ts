/** The self-signed certificate's command (see lib/steps/certificate.ts for when it is made). */
import type { Command } from "./command.ts";
import { quote } from "../base/quote.ts";

/** Validity of a new certificate. */
export const CERT_DAYS = 825;

/** A DNS name openssl's config and a subjectAltName take as is. */
export const CERT_NAME_RE = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;

/** Where the certificate and key go. */
export interface CertPaths {
  sslDir: string;
  cert: string;
  key: string;
}

/**
 * Makes a new key and self-signed certificate next to the old ones, then renames them in
 * place. The openssl config is written with printf of quoted lines (no value reaches the shell
 * unquoted) and works on OpenSSL 1.0.2 (no -addext). The key goes to `owner`, the certificate to
 * `certOwner` (the same unless given).
 */
export function makeCertificate(
  p: CertPaths,
  commonName: string,
  sans: string[],
  owner = "0:0",
  certOwner = owner,
): Command {
  if (!CERT_NAME_RE.test(commonName)) throw new Error(`'${commonName}' is not a valid certificate name`);
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
  const script = [
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
  return { script, log: `make certificate ${p.cert}` };
}
