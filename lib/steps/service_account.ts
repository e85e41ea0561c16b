import {
  accountOwner,
  accountProblem,
  createAccountScript,
  PLANNED_OWNER,
  removeAccountScript,
  SERVICE_ACCOUNT,
} from "../containers/service_account.ts";
import type { HostContext, Step } from "../engine/step.ts";

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
        await ctx.ssh.run(createAccountScript(), { log: `useradd --system ${SERVICE_ACCOUNT}` });
        await ctx.refreshFacts();
        if (!ctx.facts.serviceAccount) throw new Error(`useradd did not make ${SERVICE_ACCOUNT}`);
      },
    }]);
  },
};

/**
 * `uid:gid` the container steps give their containers and their secret files. Under --check before
 * the account exists, its name (the account step would create it); otherwise its absence is an error.
 */
export function serviceOwner(ctx: HostContext): string {
  const a = ctx.facts.serviceAccount;
  if (a) {
    const why = accountProblem(a);
    if (why) throw new Error(why);
    return accountOwner(a);
  }
  if (ctx.opts.check) return PLANNED_OWNER;
  throw new Error(
    `system user ${SERVICE_ACCOUNT} does not exist: the account step creates it (deno task deploy)`,
  );
}

/**
 * With uninstall --purge, after the install folder: removes the account (kept otherwise, see
 * `removeAccountScript`).
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
      apply: async () => void await ctx.ssh.run(removeAccountScript(), { log: `userdel ${SERVICE_ACCOUNT}` }),
    }]);
  },
};
