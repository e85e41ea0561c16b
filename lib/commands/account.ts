/** The service account's commands (see lib/containers/service_account.ts for why the account exists). */
import type { Command } from "./command.ts";
import { quote } from "../base/quote.ts";
import { SERVICE_ACCOUNT } from "../base/names.ts";

/** `/usr/sbin/nologin` is there on RHEL 8/9 (util-linux, /sbin is a link to it) and Debian/Ubuntu (login). */
export const NOLOGIN = "/usr/sbin/nologin";

/**
 * Creates the account unless it exists: system uid and gid (below 1000, from login.defs'
 * SYS_UID_MAX down), its own group, no home folder, no login shell. The same options on RHEL's and
 * Debian's shadow-utils (useradd(8) of both: --system, --user-group, --no-create-home).
 */
export function createAccount(): Command {
  const n = quote(SERVICE_ACCOUNT);
  const script = [
    "set -eu",
    `if ! getent passwd ${n} >/dev/null; then`,
    `  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell ${NOLOGIN} ` +
    `--comment ${quote("isa-monitoring Prometheus and Traefik containers")} ${n}`,
    "fi",
  ].join("\n") + "\n";
  return { script, log: `useradd --system ${SERVICE_ACCOUNT}` };
}

/**
 * Removes the account and its group (uninstall --purge, once the files it owned are gone).
 * Not done without --purge: files still owned by a deleted uid would pass to the next account that
 * useradd gives that uid.
 */
export function removeAccount(): Command {
  const n = quote(SERVICE_ACCOUNT);
  const script = [
    `if getent passwd ${n} >/dev/null; then userdel ${n}; fi`,
    // userdel removes the private group only when login.defs' USERGROUPS_ENAB says so.
    `if getent group ${n} >/dev/null; then groupdel ${n}; fi`,
  ].join("\n") + "\n";
  return { script, log: `userdel ${SERVICE_ACCOUNT}` };
}
