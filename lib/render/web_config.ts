/**
 * Prometheus' `--web.config.file` for the native frontend: Prometheus serves HTTPS itself with basic
 * auth (exporter-toolkit format: tls_server_config + basic_auth_users with bcrypt hashes).
 */
import { parse, stringify } from "yaml";

/** Name of the internal user Prometheus scrapes itself with when it requires basic auth. */
export const SELF_SCRAPE_USER = "isa-self-scrape";

/** What web.yml needs: container-side cert/key paths and the users' bcrypt hashes. */
export interface WebConfigInput {
  certFile: string;
  keyFile: string;
  /** `[user, bcrypt hash]` pairs, e.g. from `hashCredentials`. */
  users: [string, string][];
}

/** Renders web.yml. */
export function renderWebConfig(input: WebConfigInput): string {
  if (input.users.length === 0) throw new Error("web.yml needs at least one user");
  const doc = {
    tls_server_config: { cert_file: input.certFile, key_file: input.keyFile, min_version: "TLS12" },
    basic_auth_users: Object.fromEntries(input.users),
  };
  return "# Deployed by isa-monitoring (tasks/06_prometheus.ts); overwritten on every run.\n" +
    stringify(doc, { lineWidth: 0 });
}

/** The users and hashes of a deployed web.yml (empty when absent or unreadable). */
export function parseWebConfigUsers(text: string | null): Map<string, string> {
  if (!text) return new Map();
  try {
    const doc = parse(text) as { basic_auth_users?: Record<string, unknown> } | null;
    const users = doc?.basic_auth_users ?? {};
    return new Map(Object.entries(users).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return new Map();
  }
}
