/**
 * The dedicated system user Prometheus and Traefik run as (issue 14, item 11), and that owns the
 * 0600 files holding their secrets.
 *
 * A system account made on each host (`useradd --system`), not a numeric uid fixed in the inventory:
 * useradd picks a uid and gid that no other account of the host has, so no other user or daemon of
 * the host can read what this one owns; a uid chosen in an inventory may already be someone's on
 * some host (Debian and RHEL both give system accounts uids counting down from 999, in creation
 * order, so the same number means different users on different hosts), and `nobody` (65534, the
 * official Prometheus image's user) is shared with other daemons. The uid differs between hosts;
 * the facts probe reads it back (`getent passwd`) and it enters the spec hash through `User`.
 *
 * Nothing is loosened against the former root without CAP_DAC_OVERRIDE: that root read exactly
 * the files it owned (root's 0600 files) or world-readable ones; this user reads exactly the files
 * it owns (the same 0600 files, now its own) or world-readable ones, and unlike uid 0 it cannot
 * write any root-owned file in the mounts. The mounts stay read-only (but Prometheus' data), the
 * capabilities all dropped, no-new-privileges and the read-only root file system unchanged. One
 * user for both containers: each sees only its own mounts, so a second uid would separate nothing
 * more (both need the TLS key anyway).
 *
 * Its useradd and userdel are in lib/commands/account.ts.
 *
 * SELinux (RHEL) is unchanged: the docker step labels the install folder container_file_t
 * (lib/commands/docker.ts, labelContainerFiles), and whether a container's process may read a file
 * is decided by that type, not by its uid; chown keeps a file's label. A daemon with `userns-remap`
 * maps the container's uid to another host uid and would not own these files (nor did remapped root
 * own root's): not supported, as before.
 */
import type { ServiceAccountFacts } from "../facts/facts.ts";
import { NOLOGIN } from "../commands/account.ts";
import { SERVICE_ACCOUNT } from "../base/names.ts";

/** Owner given to a plan made before the account exists (see `serviceOwner` in lib/steps/service_account.ts). */
export const PLANNED_OWNER = `${SERVICE_ACCOUNT}:${SERVICE_ACCOUNT}`;

/** Shells that let nobody log in as the account. */
const NO_LOGIN_SHELLS = new Set([NOLOGIN, "/sbin/nologin", "/bin/false", "/usr/bin/false"]);

/**
 * Why the account found on the host must not own our secrets, or null when it can: uid or gid 0
 * would run the containers as root again, and an account someone can log in as could read them.
 */
export function accountProblem(a: ServiceAccountFacts): string | null {
  if (a.uid === 0 || a.gid === 0) {
    return `system user ${SERVICE_ACCOUNT} has uid ${a.uid} and gid ${a.gid}: root's; remove it and deploy again`;
  }
  if (!NO_LOGIN_SHELLS.has(a.shell)) {
    return `user ${SERVICE_ACCOUNT} exists with login shell ${a.shell || "(none: sh)"}: not an account ` +
      `isa-monitoring made (${NOLOGIN}); someone could log in as it and read the secrets it would ` +
      `own: remove it or give it ${NOLOGIN}, then deploy again`;
  }
  return null;
}

/** `uid:gid` of the account, as chown, stat and Docker's `User` write it. */
export function accountOwner(a: ServiceAccountFacts): string {
  return `${a.uid}:${a.gid}`;
}

/**
 * Owner `0:<gid>` of a folder the account only needs to pass through (mode 0710): it opens the
 * files inside by name, and can neither list nor change the folder.
 */
export function groupOnly(owner: string): string {
  return `0:${owner.split(":")[1]}`;
}
