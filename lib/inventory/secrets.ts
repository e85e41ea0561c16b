import $ from "dax";
import { parse } from "yaml";
import { UsageError } from "../engine/errors.ts";
import type { SecretsSource } from "./load.ts";
import { registerSecret } from "./redact.ts";

/** A user allowed through the frontend's basic auth. */
export interface Credential {
  user: string;
  pass: string;
}

/** Secrets of one deployment. */
export interface Secrets {
  frontend: { credentials: Credential[] };
  grafana?: { token: string };
  remote_write?: { username?: string; password?: string; bearer_token?: string };
}

/** Environment variables that override the inventory's secrets source. */
export const SECRETS_ENV = { file: "ISA_SECRETS_FILE", command: "ISA_SECRETS_COMMAND" } as const;

/** The source in force: an environment override, else the inventory's. */
export function secretsSource(
  fromInventory: SecretsSource | null,
): { source: SecretsSource; origin: string } {
  const file = Deno.env.get(SECRETS_ENV.file);
  const command = Deno.env.get(SECRETS_ENV.command);
  if (file && command) throw new UsageError(`set ${SECRETS_ENV.file} or ${SECRETS_ENV.command}, not both`);
  if (file) return { source: { file }, origin: `$${SECRETS_ENV.file}` };
  if (command) return { source: { command }, origin: `$${SECRETS_ENV.command}` };
  if (!fromInventory) {
    throw new UsageError(
      `no secrets configured: set secrets.file or secrets.command in the inventory, or ${SECRETS_ENV.file}`,
    );
  }
  return { source: fromInventory, origin: "the inventory" };
}

function expandHome(p: string): string {
  return p.startsWith("~/") ? `${Deno.env.get("HOME") ?? ""}/${p.slice(2)}` : p;
}

/** Reads the secrets' YAML text from a file or a command's standard output. */
async function readSource(source: SecretsSource): Promise<{ text: string; name: string }> {
  if ("file" in source) {
    const name = expandHome(source.file);
    try {
      const info = await Deno.stat(name);
      if (info.mode !== null && (info.mode & 0o077) !== 0) {
        throw new UsageError(
          `${name}: secrets file is readable by others (mode ${
            (info.mode & 0o777).toString(8)
          }); chmod 600 it`,
        );
      }
      return { text: await Deno.readTextFile(name), name };
    } catch (e) {
      if (e instanceof UsageError) throw e;
      if (e instanceof Deno.errors.NotFound) throw new UsageError(`${name}: secrets file not found`);
      throw new UsageError(`${name}: cannot read the secrets file: ${(e as Error).message}`);
    }
  }
  const name = `secrets command '${source.command}'`;
  const r = await $`sh -c ${source.command}`.stdout("piped").stderr("piped").noThrow();
  if (r.code !== 0) {
    // stderr of a failing command is safe to show in part; stdout might hold secrets, so never.
    throw new UsageError(
      `${name} failed with exit ${r.code}: ${r.stderr.trim().split("\n").slice(-1)[0] ?? ""}`,
    );
  }
  return { text: r.stdout, name };
}

/** Parses and checks secrets YAML; errors say what is wrong without echoing any value. */
export function parseSecrets(text: string, name: string): Secrets {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    const pos = (e as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new UsageError(`${name}${pos ? `:${pos.line}:${pos.col}` : ""}: not valid YAML`);
  }
  const o = doc as Record<string, unknown> | null;
  if (!o || typeof o !== "object" || Array.isArray(o)) {
    throw new UsageError(`${name}: expected a mapping with frontend.credentials`);
  }
  const known = ["frontend", "grafana", "remote_write"];
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new UsageError(`${name}: unknown key '${k}' (known: ${known.join(", ")})`);
  }
  const creds = (o.frontend as { credentials?: unknown } | undefined)?.credentials;
  if (!Array.isArray(creds) || creds.length === 0) {
    throw new UsageError(`${name}: frontend.credentials must be a non-empty list of {user, pass}`);
  }
  const credentials: Credential[] = creds.map((c, i) => {
    const cc = c as Record<string, unknown>;
    if (!cc || typeof cc.user !== "string" || !/^[A-Za-z0-9._@-]{1,64}$/.test(cc.user)) {
      throw new UsageError(
        `${name}: frontend.credentials[${i}].user must be a name of letters, digits, . _ @ -`,
      );
    }
    if (typeof cc.pass !== "string" && typeof cc.pass !== "number") {
      throw new UsageError(`${name}: frontend.credentials[${i}].pass must be a string`);
    }
    const pass = String(cc.pass);
    if (pass.length === 0) throw new UsageError(`${name}: frontend.credentials[${i}].pass is empty`);
    if (/[\r\n]/.test(pass)) {
      // Browsers, curl -u and Grafana's form can't send it: better refuse than lock everyone out.
      throw new UsageError(`${name}: frontend.credentials[${i}].pass contains a line break`);
    }
    if (pass.length < 8) {
      throw new UsageError(`${name}: frontend.credentials[${i}].pass is shorter than 8 characters`);
    }
    if (new TextEncoder().encode(pass).length > 72) {
      // bcrypt ignores bytes past 72: a longer password would be silently truncated.
      throw new UsageError(
        `${name}: frontend.credentials[${i}].pass is longer than 72 bytes (bcrypt's limit)`,
      );
    }
    return { user: cc.user, pass };
  });
  const out: Secrets = { frontend: { credentials } };
  if (o.grafana !== undefined) {
    const t = (o.grafana as { token?: unknown })?.token;
    if (typeof t !== "string" || !t) {
      throw new UsageError(`${name}: grafana.token must be a non-empty string`);
    }
    out.grafana = { token: t };
  }
  if (o.remote_write !== undefined) {
    const r = o.remote_write as Record<string, unknown>;
    for (const k of Object.keys(r ?? {})) {
      if (!["username", "password", "bearer_token"].includes(k) || typeof r[k] !== "string") {
        throw new UsageError(
          `${name}: remote_write.${k} is not a known string field (username, password, bearer_token)`,
        );
      }
    }
    out.remote_write = r as Secrets["remote_write"];
  }
  return out;
}

/** Loads the secrets and registers every value for redaction. */
export async function loadSecrets(fromInventory: SecretsSource | null): Promise<Secrets> {
  const { source } = secretsSource(fromInventory);
  const { text, name } = await readSource(source);
  const s = parseSecrets(text, name);
  for (const c of s.frontend.credentials) registerSecret(c.pass);
  if (s.grafana) registerSecret(s.grafana.token);
  for (const v of Object.values(s.remote_write ?? {})) if (v) registerSecret(v);
  return s;
}
