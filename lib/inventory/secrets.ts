import $ from "dax";
import { isMap, parseDocument, visit } from "yaml";
import { printable } from "../base/output.ts";
import { UsageError } from "../base/errors.ts";
import type { SecretsSource } from "./load.ts";
import { registerSecret } from "../base/redact.ts";
import { type Infer, parseLocated, type Schema, validate } from "./schema.ts";

/** Why a frontend password is unusable, or undefined. Never quotes it. */
function passwordProblem(pass: string): string | undefined {
  if (pass.length === 0) return "is empty";
  // Browsers, curl -u and Grafana's form can't send it: better refuse than lock everyone out.
  if (/[\r\n]/.test(pass)) return "contains a line break";
  if (pass.length < 8) return "is shorter than 8 characters";
  // bcrypt ignores bytes past 72: a longer password would be silently truncated.
  if (new TextEncoder().encode(pass).length > 72) return "is longer than 72 bytes (bcrypt's limit)";
  return undefined;
}

const secretString = { kind: "string", secret: true, hint: "a string" } as const satisfies Schema;

/**
 * Schema of the secrets file: the same layer as the inventory's, so a password YAML reads as a number
 * (`012345678`, `.inf`) is an error naming file:line:column, and no error ever shows a secret.
 */
export const secretsSchema = {
  kind: "object",
  required: ["frontend"],
  fields: {
    frontend: {
      kind: "object",
      fields: {
        credentials: {
          kind: "list",
          min: 1,
          hint: "a non-empty list of {user, pass}",
          of: {
            kind: "object",
            fields: {
              user: {
                kind: "string",
                check: (u: string) =>
                  /^[A-Za-z0-9._@-]{1,64}$/.test(u)
                    ? undefined
                    : "must be a name of letters, digits, . _ @ -",
              },
              pass: { ...secretString, check: passwordProblem },
            },
          },
        },
      },
    },
    grafana: {
      kind: "object",
      fields: { token: { ...secretString, check: (t: string) => (t ? undefined : "is empty") } },
    },
    remote_write: {
      kind: "object",
      fields: { username: secretString, password: secretString, bearer_token: secretString },
      required: [],
    },
    /** Credentials Prometheus sends to the Alertmanagers of `alerting`. */
    alerting: {
      kind: "object",
      fields: { username: secretString, password: secretString, bearer_token: secretString },
      required: [],
    },
    /**
     * Credentials of registries that want a login for pulls, by the registry name the image references
     * start with (`quay.io`, `registry.example.org:5000`, `docker.io`). The host's engine gets them in
     * the pull request's X-Registry-Auth header (never argv, never a file on the host).
     */
    registries: {
      kind: "map",
      hint: "a map of registry name → {username, password}",
      key: {
        kind: "string",
        hint: "a registry name",
        check: (k: string) =>
          /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/.test(k)
            ? undefined
            : "must be a registry name as image references write it (quay.io, registry.example.org:5000)",
      },
      of: {
        kind: "object",
        fields: { username: { kind: "string", hint: "a string" }, password: secretString },
      },
    },
  },
} as const satisfies Schema;

/** Secrets of one deployment. */
export type Secrets = Infer<typeof secretsSchema>;

/** A user allowed through the frontend's basic auth. */
export type Credential = Secrets["frontend"]["credentials"][number];

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
    // stdout might hold secrets, so never shown; stderr only redacted (a tool may echo its input).
    throw new UsageError(`${name} failed with exit ${r.code}: ${redactCommandStderr(r.stderr, r.stdout)}`);
  }
  return { text: r.stdout, name };
}

/** Parses and checks secrets YAML; errors name file:line:column without echoing any value. */
export function parseSecrets(text: string, name: string): Secrets {
  const { loc, root } = parseLocated(name, text, true);
  if (!root || !isMap(root)) throw loc.error(root, "expected a mapping with frontend.credentials");
  return validate(loc, root, secretsSchema, "") as Secrets;
}

/**
 * The failing secrets command's stderr as it may be shown: its last line, with anything the command
 * printed on stdout (perhaps half the secrets) and any `password=…`-like value masked, control
 * characters escaped, and cut to 200 characters.
 */
export function redactCommandStderr(stderr: string, stdout: string): string {
  let line = stderr.trim().split("\n").filter(Boolean).at(-1) ?? "";
  line = line.replace(/((?:pass(?:word)?|passwd|token|secret|key)["']?\s*[:=]\s*)[^\s)"',;]+/gi, "$1***");
  // Whole values first (a pass phrase with spaces), then every word of stdout standing alone.
  const values = new Set<string>();
  visit(parseDocument(stdout), {
    Scalar: (key, node) => {
      if (key === "key") return; // field names (pass, token) are not secret
      const text = String(node.source ?? node.value ?? "");
      if (text.length >= 4) values.add(text);
    },
  });
  for (const v of [...values].sort((a, b) => b.length - a.length)) line = line.replaceAll(v, "***");
  const words = new Set(stdout.split(/[\s"',:{}[\]]+/).filter((w) => w.length >= 4));
  for (const w of [...words].sort((a, b) => b.length - a.length)) {
    const escaped = w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    line = line.replace(new RegExp(`(?<![\\w*])${escaped}(?![\\w*])`, "g"), "***");
  }
  line = printable(line);
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** Loads the secrets and registers every value for redaction. */
export async function loadSecrets(fromInventory: SecretsSource | null): Promise<Secrets> {
  const { source } = secretsSource(fromInventory);
  const { text, name } = await readSource(source);
  const s = parseSecrets(text, name);
  for (const c of s.frontend.credentials) registerSecret(c.pass);
  if (s.grafana) registerSecret(s.grafana.token);
  for (const v of Object.values(s.remote_write ?? {})) if (v) registerSecret(v);
  for (const v of Object.values(s.alerting ?? {})) if (v) registerSecret(v);
  for (const r of Object.values(s.registries ?? {})) registerSecret(r.password);
  return s;
}
