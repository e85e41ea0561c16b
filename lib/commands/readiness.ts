/** The readiness check's command (see lib/containers/readiness.ts for the wait around it). */
import type { Command } from "./command.ts";
import { quote } from "../base/quote.ts";

/** How to tell that a container serves. */
export interface ReadinessProbe {
  /** Container port. */
  port: number;
  scheme: "http" | "https";
  path: string;
  /** The HTTP status that means ready. */
  status: number;
  /** When set, a body line must start with this too (e.g. `apache_up `). */
  bodyLine?: string;
  /** Basic-auth user, its password read on the host from `passwordFile` (0600). */
  auth?: { user: string; passwordFile: string };
  /** What is being waited for, for people. */
  what: string;
}

/**
 * One readiness check of container `name` at `ip`: prints `@@code <status>` and, when `bodyLine` is
 * set, the matching body lines; its exit code says nothing (read the output), and it gives up after
 * 10 s. The password goes through printf (a shell builtin) into curl's
 * config on stdin, so it is in no argv; `-k` because the check targets the container's address,
 * which the certificate does not name, from the host the key lives on.
 */
export function readinessCheck(ip: string, probe: ReadinessProbe, name: string): Command {
  if (!/^[0-9.]+$|^[0-9a-f:]+$/i.test(ip)) throw new Error(`not an IP address: ${ip}`);
  const host = ip.includes(":") ? `[${ip}]` : ip;
  const url = `${probe.scheme}://${host}:${probe.port}${probe.path}`;
  const curl = `curl -s -k -m 3 -w '\\n@@code %{http_code}\\n'`;
  const filter = probe.bodyLine
    ? `grep -E ${quote(`^(@@code |${probe.bodyLine.replace(/[^A-Za-z0-9_ ]/g, "\\$&")})`)}`
    : "grep '^@@code '";
  const check = (script: string): Command => ({
    script,
    log: `readiness of ${name}: ${probe.what}`,
    check: false,
    timeoutMs: 10_000,
  });
  if (!probe.auth) return check(`${curl} ${quote(url)} | ${filter}\n`);
  const pw = quote(probe.auth.passwordFile);
  // The file holds hex (our own random password), so no quoting inside curl's config is needed;
  // anything else is refused rather than sent mangled.
  return check(
    [
      `p=$(cat ${pw} 2>/dev/null) || { echo '@@code nofile'; exit 0; }`,
      `case "$p" in *[!0-9a-fA-F]*|'') echo '@@code badfile'; exit 0;; esac`,
      `printf 'user = "%s:%s"\\n' ${quote(probe.auth.user)} "$p" | ${curl} -K - ${quote(url)} | ${filter}`,
    ].join("\n") + "\n",
  );
}
