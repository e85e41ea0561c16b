/** The Alertmanagers' CA file named by `alerting.ca_file`, read on the controller. */
import { dirname, isAbsolute, resolve } from "node:path";
import { UsageError } from "../base/errors.ts";
import type { Host } from "./host.ts";

/** Path of `alerting.ca_file`: as given when absolute, else from the folder of the host's inventory file. */
export function alertingCaPath(host: Host): string | null {
  const f = host.vars.alerting?.ca_file;
  if (!f) return null;
  return isAbsolute(f) ? f : resolve(dirname(host.pos.file), f);
}

/** Text of the CA file, checked to hold at least one PEM certificate (and no private key). */
export async function alertingCaText(host: Host): Promise<string | null> {
  const path = alertingCaPath(host);
  if (path === null) return null;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new UsageError(`alerting.ca_file ${path}: cannot read it (${(e as Error).message})`);
  }
  if (!/-----BEGIN CERTIFICATE-----/.test(text)) {
    throw new UsageError(`alerting.ca_file ${path}: no PEM certificate in it`);
  }
  // The file is deployed world-readable next to prometheus.yml: a key in it would leak.
  if (/PRIVATE KEY-----/.test(text)) throw new UsageError(`alerting.ca_file ${path}: holds a private key`);
  return text;
}
