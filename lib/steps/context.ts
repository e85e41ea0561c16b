import type Docker from "dockerode";
import type { RunOptions } from "../engine/cli.ts";
import type { Facts } from "../facts/facts.ts";
import { gatherHost } from "../facts/gather.ts";
import type { Probed, ProbeNeeds } from "../facts/needs.ts";
import type { Secrets } from "../inventory/secrets.ts";
import type { Ssh } from "../transport/ssh.ts";
import type { HostContext } from "./step.ts";
import type { ImageTransfer } from "../engine/report.ts";
import { ImageDeliveries } from "../containers/deliveries.ts";

/** What steps see on one host; the Docker client is made on first use, over the SSH connection. */
export function hostContext(
  ssh: Ssh,
  state: { facts: Facts; probed: Probed; needs: ProbeNeeds },
  opts: RunOptions,
  secrets: () => Promise<Secrets>,
  log: {
    debug: (line: string) => void;
    progress: (line: string) => void;
    /** Receives what each push sent. */
    transferred?: (t: ImageTransfer) => void;
  },
): HostContext {
  // One client, made once even when the background deliveries and a step ask for it at the same time.
  let docker: Promise<Docker> | undefined;
  const ctx: HostContext = {
    host: ssh.host,
    ssh,
    facts: state.facts,
    probed: state.probed,
    secrets,
    // dockerode (and its gRPC dependencies) loads only when a change reaches the engine.
    docker: () => {
      docker ??= (async () => {
        const socketPath = await ssh.dockerSocketPath();
        const { default: Dockerode } = await import("dockerode");
        return new Dockerode({ socketPath });
      })();
      // A failed attempt (the engine not up yet) is not kept: the next caller tries again.
      docker.catch(() => (docker = undefined));
      return docker;
    },
    opts,
    debug: log.debug,
    progress: log.progress,
    deliveries: new ImageDeliveries(),
    transferred: log.transferred,
    refreshFacts: async () => {
      const again = await gatherHost(ssh, state.needs);
      ctx.facts = again.facts;
      ctx.probed = again.probed;
      ctx.probes++;
    },
    probes: 1,
  };
  return ctx;
}
