import { accountOwner, accountProblem, PLANNED_OWNER } from "../containers/service_account.ts";
import { createAccount, removeAccount } from "../commands/account.ts";
import { exec } from "../transport/exec.ts";
import type { HostContext, Step } from "./step.ts";
import { SERVICE_ACCOUNT } from "../base/names.ts";

/**
 * The step that makes the system user Prometheus and Traefik run as (see
 * lib/containers/service_account.ts); nothing when it exists. The facts are probed again after
 * useradd, so the steps after it plan with its uid and gid.
 */
export const serviceAccountStep: Step = {
  id: "account",
  plan: (ctx) => {
    const a = ctx.facts.serviceAccount;
    if (a) {
      const why = accountProblem(a);
      if (why) throw new Error(why);
      return Promise.resolve([]);
    }
    return Promise.resolve([{
      summary: `create system user ${SERVICE_ACCOUNT} (no login, no home): Prometheus and Traefik run as ` +
        `it, and it owns their 0600 files`,
      apply: async () => {
        await exec(ctx.ssh, createAccount());
        await ctx.refreshFacts();
        if (!ctx.facts.serviceAccount) throw new Error(`useradd did not make ${SERVICE_ACCOUNT}`);
      },
    }]);
  },
};

/**
 * `uid:gid` the container steps give their containers and their secret files. Before the account
 * exists (under --check, or in `status`, the account step not applied), its name: chown takes it,
 * nothing found on a host is owned by it, so every file and folder it will own plans as drift. Such
 * a plan applied without the account step would fail loudly (chown: invalid user; Docker: no such
 * user in the image), never fall back to root.
 */
export function serviceOwner(ctx: HostContext): string {
  const a = ctx.facts.serviceAccount;
  if (!a) return PLANNED_OWNER;
  const why = accountProblem(a);
  if (why) throw new Error(why);
  return accountOwner(a);
}

/**
 * With uninstall --purge, after the install folder: removes the account (kept otherwise, see
 * `removeAccount` in lib/commands/account.ts).
 */
export const removeServiceAccountStep: Step = {
  id: "account",
  plan: (ctx) => {
    const a = ctx.facts.serviceAccount;
    if (!a) return Promise.resolve([]);
    if (accountProblem(a)) {
      // A login account of that name is someone's, not ours (the deploy refuses it too).
      ctx.progress(`leaving user ${SERVICE_ACCOUNT} alone: ${accountProblem(a)}`);
      return Promise.resolve([]);
    }
    return Promise.resolve([{
      summary: `remove system user ${SERVICE_ACCOUNT} and its group`,
      command: removeAccount(),
    }]);
  },
};
