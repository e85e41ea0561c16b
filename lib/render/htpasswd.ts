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
import { createHash } from "node:crypto";

// Loaded on first use (about 50-130 ms of start-up on this project's machines), by the steps that
// hash or check a password only.
const bcryptjs = () => import("bcryptjs").then((m) => m.default);

/** bcrypt cost of new hashes. */
export const BCRYPT_COST = 10;

/** A user and its password, as in the secrets; `cost` overrides BCRYPT_COST for that user. */
export interface PlainCredential {
  user: string;
  pass: string;
  cost?: number;
}

// bcrypt is slow on purpose (about 65 ms a check at cost 10, on the one JS thread), and a run checks
// the same password against every host. So within one process: a password hashed once is reused for
// every host that needs a new hash, and each (hash, password) pair is checked once. Keys are digests,
// not passwords.
const hashedThisRun = new Map<string, Promise<string>>();
const checked = new Map<string, Promise<boolean>>();

function digest(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex");
}

/** Hashes a password with bcrypt (cost 10 unless given), `$2y$` prefix; one hash per password per run. */
export function hashPassword(pass: string, cost = BCRYPT_COST): Promise<string> {
  const key = digest(String(cost), pass);
  let h = hashedThisRun.get(key);
  if (!h) {
    h = bcryptjs().then((b) => b.hash(pass, cost)).then((x) => x.replace(/^\$2[ab]\$/, "$2y$"));
    hashedThisRun.set(key, h);
  }
  return h;
}

/** True when `hash` is a bcrypt hash that matches `pass` (false for anything unparsable). */
export function hashMatches(pass: string, hash: string | undefined): Promise<boolean> {
  if (!hash || !/^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) return Promise.resolve(false);
  const key = digest(hash, pass);
  let r = checked.get(key);
  if (!r) {
    r = bcryptjs().then((b) => b.compare(pass, hash)).catch(() => false);
    checked.set(key, r);
  }
  return r;
}

/** The cost a bcrypt hash was made with. */
function costOf(hash: string): number {
  return Number(/^\$2[abxy]\$(\d\d)\$/.exec(hash)?.[1] ?? NaN);
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
    const cost = c.cost ?? BCRYPT_COST;
    const keep = old !== undefined && costOf(old) === cost && await hashMatches(c.pass, old);
    out.push([c.user, keep ? old! : await hashPassword(c.pass, cost)]);
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
