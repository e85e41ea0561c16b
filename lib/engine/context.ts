import Docker from "dockerode";
import type { RunOptions } from "./cli.ts";
import type { Facts } from "../facts/facts.ts";
import { gatherFacts } from "../facts/gather.ts";
import type { Secrets } from "../inventory/secrets.ts";
import type { Ssh } from "../transport/ssh.ts";
import type { HostContext } from "./step.ts";

/** What steps see on one host; the Docker client is made on first use, over the SSH connection. */
export function hostContext(
  ssh: Ssh,
  facts: Facts,
  opts: RunOptions,
  secrets: () => Promise<Secrets>,
  log: { debug: (line: string) => void; progress: (line: string) => void },
): HostContext {
  let docker: Docker | undefined;
  const ctx: HostContext = {
    host: ssh.host,
    ssh,
    facts,
    secrets,
    docker: async () => (docker ??= new Docker({ socketPath: await ssh.dockerSocketPath() })),
    opts,
    debug: log.debug,
    progress: log.progress,
    refreshFacts: async () => {
      ctx.facts = await gatherFacts(ssh);
    },
  };
  return ctx;
}
