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

/**
 * Security headers on every response, the 401s included (exporter-toolkit sets them before the
 * basic-auth check). Only these names and values pass its validation (`extraHTTPHeaders` in
 * web/handler.go, identical from v0.7.0 to v0.16.0; Prometheus 2.42 ships v0.8.2, 3.5 v0.14.0):
 * X-Frame-Options must be lowercase `deny` or `sameorigin`, and an unknown header stops Prometheus.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Strict-Transport-Security": "max-age=31536000",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "deny",
};

/** Renders web.yml. */
export function renderWebConfig(input: WebConfigInput): string {
  if (input.users.length === 0) throw new Error("web.yml needs at least one user");
  const doc = {
    tls_server_config: { cert_file: input.certFile, key_file: input.keyFile, min_version: "TLS12" },
    http_server_config: { headers: { ...SECURITY_HEADERS } },
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
