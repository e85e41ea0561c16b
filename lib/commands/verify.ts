/** verify-metrics' command: what it reads on each host, in one round trip. */
import type { Command } from "./command.ts";
import type { Vars } from "../inventory/vars.ts";
import type { Credential } from "../inventory/secrets.ts";
import { installPaths } from "../inventory/paths.ts";
import { quote } from "../base/quote.ts";

/** curl's config-file syntax for `user = "name:pass"` (double quotes, backslash escapes). */
function curlUser(c: Credential): string {
  return `user = "${`${c.user}:${c.pass}`.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * verify-metrics' one read of a host: server-status, the exporter's metrics and Prometheus' targets
 * (each container at its address `ips`, when running, on its port of `ports`), and our certificate.
 * Credentials go through printf (a shell builtin: never in any argv).
 */
export function verifyEvidence(
  vars: Pick<Vars, "frontend" | "install_dir">,
  ips: { exporter: string | null; prometheus: string | null },
  ports: { exporter: number; prometheus: number },
  cred: Credential,
): Command {
  const { exporter: exporterIp, prometheus: prometheusIp } = ips;
  const native = vars.frontend === "native";
  const promUrl = `${
    native ? "https" : "http"
  }://${prometheusIp}:${ports.prometheus}/api/v1/targets?state=active`;
  const script = [
    "echo @@server-status",
    // Body on standard output, the status code in its own section after it: no temporary file (a
    // predictable /tmp name is a symlink away from root writing wherever another user points it).
    `curl -s -m 5 -w '\\n@@server-status-code\\n%{http_code}\\n' 'http://localhost/server-status?auto' ||` +
    " true",
    "echo @@exporter",
    exporterIp
      ? `curl -sf -m 5 http://${exporterIp}:${ports.exporter}/metrics | grep '^apache_' || echo @@no-answer`
      : "",
    "echo @@targets",
    prometheusIp
      ? `printf '%s\\n' ${quote(curlUser(cred))} | curl -sf -m 5 -k -K - '${promUrl}' || printf '{}'; echo`
      : "",
    "echo @@cert",
    `cat ${quote(installPaths(vars).cert)} 2>/dev/null`,
    "echo @@end",
  ].filter(Boolean).join("\n");
  return {
    script,
    log:
      "curl server-status, exporter /metrics, Prometheus /api/v1/targets on the host; read the certificate",
  };
}
