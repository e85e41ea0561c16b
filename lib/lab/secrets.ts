/** The lab's secrets file (.lab/secrets.yml): a frontend password generated once and kept. */
import { parse } from "yaml";
import { labFiles, REGISTRY } from "./layout.ts";

/** Alphabet of generated lab passwords: letters, digits and `-_.~!*` (hostile passwords are tested elsewhere). */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~!*";

/** A random password of `length` characters from the lab alphabet (uniform, crypto.getRandomValues). */
export function randomPassword(length = 24): string {
  const out: string[] = [];
  const limit = 256 - (256 % ALPHABET.length);
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < limit && out.length < length) out.push(ALPHABET[b % ALPHABET.length]);
    }
  }
  return out.join("");
}

/** Frontend user of the lab. */
export const LAB_USER = "isa";

/** Creates .lab/secrets.yml (0600) unless present; returns the frontend password it holds. */
export async function ensureSecrets(): Promise<string> {
  const existing = await Deno.readTextFile(labFiles.secrets).catch(() => undefined);
  if (existing !== undefined) {
    const pass = parse(existing)?.frontend?.credentials?.find((c: { user?: string }) => c.user === LAB_USER)
      ?.pass;
    if (typeof pass !== "string") throw new Error(`${labFiles.secrets} has no password for user ${LAB_USER}`);
    return pass;
  }
  const pass = randomPassword();
  const text = "# Generated once by `deno task lab up`; kept across runs.\n" +
    `frontend:\n  credentials:\n    - user: ${LAB_USER}\n      pass: ${JSON.stringify(pass)}\n`;
  await Deno.writeTextFile(labFiles.secrets, text, { mode: 0o600 });
  await Deno.chmod(labFiles.secrets, 0o600);
  return pass;
}

/**
 * The lab registry's password, in .lab/secrets.yml under `registries` for each registry name (what the
 * deploy sends to pull), added to the file once and kept.
 */
export async function ensureRegistrySecret(): Promise<string> {
  await ensureSecrets();
  const text = await Deno.readTextFile(labFiles.secrets);
  const registries = parse(text)?.registries as Record<string, { password?: string }> | undefined;
  const known = registries?.[REGISTRY.names[0]]?.password;
  if (typeof known === "string") return known;
  if (registries) throw new Error(`${labFiles.secrets}: registries has no ${REGISTRY.names[0]} entry`);
  const pass = randomPassword();
  const block = REGISTRY.names.map((n) =>
    `  ${n}:\n    username: ${REGISTRY.user}\n    password: ${JSON.stringify(pass)}\n`
  ).join("");
  await Deno.writeTextFile(
    labFiles.secrets,
    `${
      text.replace(/\n*$/, "\n")
    }# The lab registry's login (lib/lab/registry.ts), sent with each pull.\nregistries:\n${block}`,
  );
  return pass;
}
