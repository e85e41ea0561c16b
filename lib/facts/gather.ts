import type { Ssh } from "../transport/ssh.ts";
import type { Facts } from "./facts.ts";
import { factsScript, parseFacts } from "./probe.ts";

/** Probes a host once (one round trip) and parses its facts. */
export async function gatherFacts(ssh: Ssh): Promise<Facts> {
  const r = await ssh.run(factsScript(ssh.host.vars.install_dir), {
    log: "probe facts (one batched script)",
  });
  return parseFacts(r.stdout);
}
