/**
 * bcrypt hashes of the frontend credentials, for Traefik's htpasswd file and Prometheus' web.yml.
 *
 * Prefix: we write `$2y$` (what Apache's `htpasswd -B` writes). bcryptjs produces `$2b$`; for
 * passwords of at most 72 bytes `$2b$` and `$2y$` are the same algorithm, so only the prefix is
 * rewritten. Go's golang.org/x/crypto/bcrypt (Prometheus' exporter-toolkit, Traefik) accepts
 * `$2a$`, `$2b$` and `$2y$`; Apache's `htpasswd -v` accepts them too. tests/htpasswd_test.ts checks
 * our `$2y$` hashes with the real `htpasswd -v` and tests/prometheus_config_test.ts with a real
 * Prometheus.
 */
import bcrypt from "bcryptjs";

/** bcrypt cost of new hashes. */
export const BCRYPT_COST = 10;

/** A user and its password, as in the secrets. */
export interface PlainCredential {
  user: string;
  pass: string;
}

/** Hashes a password with bcrypt (cost 10), `$2y$` prefix. */
export async function hashPassword(pass: string): Promise<string> {
  const h = await bcrypt.hash(pass, BCRYPT_COST);
  return h.replace(/^\$2[ab]\$/, "$2y$");
}

/** True when `hash` is a bcrypt hash that matches `pass` (false for anything unparsable). */
export async function hashMatches(pass: string, hash: string | undefined): Promise<boolean> {
  if (!hash || !/^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) return false;
  try {
    return await bcrypt.compare(pass, hash);
  } catch {
    return false;
  }
}

/**
 * The hash of every credential, in the secrets' order: the deployed hash when it still matches the
 * password (so a re-run writes the same bytes and nothing restarts), a new one otherwise.
 */
export async function hashCredentials(
  creds: PlainCredential[],
  existing: Map<string, string>,
): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const c of creds) {
    if (!/^[^:\s]+$/.test(c.user)) {
      throw new Error(`invalid user name for basic auth: ${JSON.stringify(c.user)}`);
    }
    const old = existing.get(c.user);
    out.push([c.user, (await hashMatches(c.pass, old)) ? old! : await hashPassword(c.pass)]);
  }
  return out;
}

/** Users and hashes of an htpasswd file (comments and blank lines skipped). */
export function parseHtpasswd(text: string | null): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of (text ?? "").split("\n")) {
    const l = line.trim();
    if (!l || l.startsWith("#")) continue;
    const i = l.indexOf(":");
    if (i > 0) m.set(l.slice(0, i), l.slice(i + 1));
  }
  return m;
}

/** An htpasswd file: one `user:hash` line per user. */
export function renderHtpasswd(users: [string, string][]): string {
  return users.map(([u, h]) => `${u}:${h}\n`).join("");
}
