/** The lab's throw-away certificate authorities: a CA and server certificates signed by it (openssl). */
import { join } from "node:path";
import $ from "dax";

/** Names a server certificate is valid for: DNS names and IP addresses (its subjectAltName). */
export interface CertNames {
  dns?: string[];
  ip?: string[];
}

/**
 * Makes, in `dir`, a CA (`ca.pem`, its key removed once used) and a server certificate `<name>.pem` with
 * key `<name>.key` (0600) for `names`, both valid `days` days. EC P-256, as a modern internal PKI issues.
 */
export async function issueServerCertificate(
  dir: string,
  caName: string,
  name: string,
  names: CertNames,
  days = 2,
): Promise<void> {
  const ssl = (args: string[]) => $`openssl ${args}`.cwd(dir).quiet();
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await ssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    `${days}`,
    "-subj",
    `/CN=${caName}`,
  ]);
  await ssl(["req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
  const san = [...(names.dns ?? []).map((d) => `DNS:${d}`), ...(names.ip ?? []).map((i) => `IP:${i}`)];
  await Deno.writeTextFile(
    join(dir, `${name}.ext`),
    `subjectAltName=${san.join(",")}\nextendedKeyUsage=serverAuth\n`,
  );
  await ssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"]
    .concat(["-out", `${name}.pem`, "-days", `${days}`, "-extfile", `${name}.ext`]));
  await Deno.chmod(join(dir, `${name}.key`), 0o600);
  // Nothing more is ever signed: without its key the CA vouches for this one certificate only.
  await Deno.remove(join(dir, "ca.key"));
  for (const f of [`${name}.csr`, `${name}.ext`, "ca.srl"]) await Deno.remove(join(dir, f)).catch(() => {});
}

/** Whether the certificate in `file` exists and stays valid for at least `seconds` more. */
export async function certificateValid(file: string, seconds: number): Promise<boolean> {
  const r = await $`openssl x509 -in ${file} -noout -checkend ${seconds}`.quiet().noThrow();
  return r.code === 0;
}
