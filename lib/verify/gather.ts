import type Docker from "dockerode";
import { CONTAINER_NAMES, EXPORTER_PORT, PROMETHEUS_PORT } from "../containers/builders.ts";
import { installPaths } from "../inventory/paths.ts";
import type { Host } from "../inventory/host.ts";
import { quote } from "../base/quote.ts";
import type { Credential } from "../inventory/secrets.ts";
import type { Ssh } from "../transport/ssh.ts";
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

/** curl's config-file syntax for `user = "name:pass"` (double quotes, backslash escapes). */
function curlUser(c: Credential): string {
  return `user = "${`${c.user}:${c.pass}`.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** The host-side script; credentials go through printf (a shell builtin: never in any argv). */
export function evidenceScript(
  host: Host,
  exporterIp: string | null,
  prometheusIp: string | null,
  cred: Credential,
) {
  const native = host.vars.frontend === "native";
  const promUrl = `${
    native ? "https" : "http"
  }://${prometheusIp}:${PROMETHEUS_PORT}/api/v1/targets?state=active`;
  return [
    "echo @@server-status",
    // Body on standard output, the status code in its own section after it: no temporary file (a
    // predictable /tmp name is a symlink away from root writing wherever another user points it).
    `curl -s -m 5 -w '\\n@@server-status-code\\n%{http_code}\\n' 'http://localhost/server-status?auto' ||` +
    " true",
    "echo @@exporter",
    exporterIp
      ? `curl -sf -m 5 http://${exporterIp}:${EXPORTER_PORT}/metrics | grep '^apache_' || echo @@no-answer`
      : "",
    "echo @@targets",
    prometheusIp
      ? `printf '%s\\n' ${quote(curlUser(cred))} | curl -sf -m 5 -k -K - '${promUrl}' || printf '{}'; echo`
      : "",
    "echo @@cert",
    `cat ${quote(installPaths(host.vars).cert)} 2>/dev/null`,
    "echo @@end",
  ].filter(Boolean).join("\n");
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
  const r = await ssh.run(evidenceScript(ssh.host, exporterIp, prometheusIp, cred), {
    log:
      "curl server-status, exporter /metrics, Prometheus /api/v1/targets on the host; read the certificate",
  });
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
