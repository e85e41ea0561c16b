import type Docker from "dockerode";
import { CONTAINER_NAMES, EXPORTER_PORT, PROMETHEUS_PORT } from "../containers/builders.ts";
import type { Credential } from "../inventory/secrets.ts";
import type { Ssh } from "../transport/ssh.ts";
import { exec } from "../transport/exec.ts";
import { verifyEvidence } from "../commands/verify.ts";
import type { Target } from "./evidence.ts";
import { sections } from "../base/probe_sections.ts";

/** What verify-metrics reads on the host itself, in one SSH round trip. */
export interface HostEvidence {
  serverStatus: { status: number; body: string };
  exporterRunning: boolean;
  exporterMetrics: string | null;
  targets: Target[] | null;
  certPem: string | null;
}

/** IPv4 address of a running container on any network, or null when it isn't running. */
async function containerIp(docker: Docker, name: string): Promise<string | null> {
  try {
    const info = await docker.getContainer(name).inspect();
    if (!info.State.Running) return null;
    for (const n of Object.values(info.NetworkSettings.Networks ?? {})) if (n.IPAddress) return n.IPAddress;
    return null;
  } catch {
    return null;
  }
}

/** Reads the host-side evidence: dockerode for container addresses, then one SSH round trip. */
export async function gatherHostEvidence(
  ssh: Ssh,
  docker: Docker | null,
  cred: Credential,
): Promise<HostEvidence> {
  const [exporterIp, prometheusIp] = docker
    ? await Promise.all([
      containerIp(docker, CONTAINER_NAMES.exporter),
      containerIp(docker, CONTAINER_NAMES.prometheus),
    ])
    : [null, null];
  const ports = { exporter: EXPORTER_PORT, prometheus: PROMETHEUS_PORT };
  const r = await exec(
    ssh,
    verifyEvidence(ssh.host.vars, { exporter: exporterIp, prometheus: prometheusIp }, ports, cred),
  );
  const s = sections(r.stdout);
  const body = s.get("server-status") ?? [];
  const exp = (s.get("exporter") ?? []).join("\n");
  let targets: Target[] | null = null;
  const tj = (s.get("targets") ?? []).join("\n");
  try {
    const parsed = JSON.parse(tj || "{}");
    targets = parsed?.data?.activeTargets ?? null;
  } catch {
    targets = null;
  }
  const cert = (s.get("cert") ?? []).join("\n");
  return {
    serverStatus: {
      status: Number((s.get("server-status-code") ?? ["0"])[0]) || 0,
      body: body.join("\n"),
    },
    exporterRunning: exporterIp !== null,
    exporterMetrics: exporterIp === null || s.has("no-answer") ? null : exp,
    targets: prometheusIp === null ? null : targets,
    certPem: cert.includes("BEGIN CERTIFICATE") ? cert + "\n" : null,
  };
}
