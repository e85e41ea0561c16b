/** A host context for unit tests of step plans: no SSH, no Docker; scripts are recorded and answered by rule. */
import type { HostContext } from "../../lib/steps/step.ts";
import type { Facts } from "../../lib/facts/facts.ts";
import { blankProbed, type Probed } from "../../lib/facts/needs.ts";
import { inventoryPath, loadInventory } from "../../lib/inventory/load.ts";
import type { Host } from "../../lib/inventory/host.ts";
import type { Vars } from "../../lib/inventory/vars.ts";
import type { RemoteResult, Ssh, SshRoute } from "../../lib/transport/ssh.ts";

/** The first host of the qual inventory with `vars` laid over its variables. */
export async function qualHost(vars: Partial<Vars> = {}): Promise<Host> {
  const host = (await loadInventory(inventoryPath({ prod: false }))).hosts[0];
  return { ...host, vars: { ...host.vars, ...vars } };
}

/**
 * A context whose `ssh.run` records each script and answers with the stdout of the first matching rule;
 * `probed` is what the batched probe found (by default: nothing, an empty engine).
 */
export function fakeContext(
  facts: Facts,
  host: Host,
  answers: { match: RegExp; stdout: string }[] = [],
  probed: Probed = blankProbed(),
): HostContext & { scripts: string[]; progressLines: string[] } {
  const scripts: string[] = [];
  const progressLines: string[] = [];
  const ssh = {
    host,
    run(script: string): Promise<RemoteResult> {
      scripts.push(script);
      const a = answers.find((x) => x.match.test(script));
      return Promise.resolve({ code: 0, stdout: a?.stdout ?? "", stderr: "" });
    },
    writeFile(): Promise<void> {
      return Promise.resolve();
    },
    // As `ssh -G` would resolve the inventory's address (no ssh_config here).
    route(): Promise<SshRoute> {
      return Promise.resolve({ hostname: host.ssh.address, proxied: Boolean(host.ssh.jump) });
    },
  } as unknown as Ssh;
  const ctx: HostContext & { scripts: string[]; progressLines: string[] } = {
    host,
    ssh,
    facts,
    probed,
    secrets: () => Promise.reject(new Error("no secrets in unit tests")),
    docker: () => Promise.reject(new Error("no Docker in unit tests")),
    opts: {
      prod: false,
      inventory: undefined,
      limit: undefined,
      check: true,
      diff: true,
      listHosts: false,
      json: false,
      yes: false,
      forks: 1,
      verbose: false,
    },
    debug: () => {},
    progress: (l) => progressLines.push(l),
    refreshFacts: () => {
      ctx.probes++;
      return Promise.resolve();
    },
    probes: 1,
    scripts,
    progressLines,
  };
  return ctx;
}
