import type { Ssh } from "../transport/ssh.ts";
import { exec } from "../transport/exec.ts";
import type { Facts } from "./facts.ts";
import { needsApiRequests, needsScript, parseNeeds, type Probed, type ProbeNeeds } from "./needs.ts";
import { factsScript, parseFacts } from "./probe.ts";
import { sections } from "../base/probe_sections.ts";

/** The facts and what the steps read, as one probe finds them. */
export interface HostState {
  facts: Facts;
  probed: Probed;
}

/** The one batched probe of a host: the facts, then what the steps need. */
export function hostProbeScript(ssh: Ssh, needs: ProbeNeeds): string {
  return factsScript(ssh.host.vars.install_dir, needsScript(needs), {
    packages: needs.packages,
    api: needsApiRequests(needs),
  });
}

/** What `-v` shows for the batched probe. */
export function probeLogLine(needs: ProbeNeeds): string {
  const n = (needs.files?.length ?? 0) + (needs.dirs?.length ?? 0) + (needs.stats?.length ?? 0);
  const d = needs.docker;
  const objects = (d?.containers?.length ?? 0) + (d?.images?.length ?? 0);
  return n || objects || needs.scripts?.length
    ? `probe facts, ${n} path(s), ${objects} engine object(s), ${
      needs.scripts?.length ?? 0
    } step probe(s) (one batched script)`
    : "probe facts (one batched script)";
}

/** Parses the batched probe's output. */
export function parseHostProbe(stdout: string, needs: ProbeNeeds): HostState {
  const s = sections(stdout);
  if (!s.has("end")) throw new Error("the host's probe output is incomplete (no end marker)");
  return { facts: parseFacts(stdout), probed: parseNeeds(s, needs) };
}

/** Probes a host once (one round trip) and parses its facts. */
export async function gatherFacts(ssh: Ssh): Promise<Facts> {
  return (await gatherHost(ssh, {})).facts;
}

/** The facts and everything the steps need to plan, in one round trip. */
export async function gatherHost(ssh: Ssh, needs: ProbeNeeds): Promise<HostState> {
  // The probe's script is the facts' own (built from each fact's section), run as any command.
  const r = await exec(ssh, { script: hostProbeScript(ssh, needs), log: probeLogLine(needs) });
  return parseHostProbe(r.stdout, needs);
}
