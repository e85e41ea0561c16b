/**
 * The one script that probes a host, combined from the facts' own sections (os.ts, apache.ts, docker.ts,
 * selinux.ts, disk.ts, firewall.ts, account.ts), and the parser that combines their parsers.
 */
import type { Facts } from "./facts.ts";
import { quote } from "../base/quote.ts";
import { PROBE_FUNCTIONS, sections } from "../base/probe_sections.ts";
import { OS_SECTIONS, parseOs } from "./os.ts";
import { apacheSections, parseApache } from "./apache.ts";
import { apiBatch, DOCKER_API, dockerSections, parseDocker, parseDockerInfo } from "./docker.ts";
import { parseSelinux, SELINUX_SECTION } from "./selinux.ts";
import { DISK_SECTION, parseDiskFree } from "./disk.ts";
import { FIREWALL_SECTION, parseFirewall } from "./firewall.ts";
import { ACCOUNT_SECTION, parseServiceAccount } from "./account.ts";

/**
 * The one script that probes a host (one SSH round trip). It prints sections `@@name` followed by
 * raw command output; `parseFacts` turns them into Facts. Raw output keeps parsing testable from
 * real captures (os-release, httpd -v, httpd -t -D DUMP_INCLUDES -D DUMP_MODULES) without a host.
 */
export function factsScript(
  installDir: string,
  extra = "",
  opts: { packages?: boolean; api?: [string, string][] } = {},
): string {
  return `
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
${PROBE_FUNCTIONS}
${OS_SECTIONS}# One systemctl for the three units (it prints one state per unit, in order).
set -- $(systemctl is-active firewalld httpd apache2 2>/dev/null)
firewalld_state=$1 httpd_state=$2 apache2_state=$3
${apacheSections()}${dockerSections(opts)}d=${quote(installDir)}
${SELINUX_SECTION}${DISK_SECTION}${FIREWALL_SECTION}${ACCOUNT_SECTION}${extra}${
    apiBatch([...DOCKER_API, ...(opts.api ?? [])])
  }isa_sec end
`;
}

/** Turns the probe's output into Facts. */
export function parseFacts(output: string): Facts {
  const s = sections(output);
  const get = (k: string) => s.get(k) ?? [];
  const { os, init, loginUser } = parseOs(get);
  const { docker, containerTools, dockerFiles } = parseDocker(s, get);
  return {
    os,
    init,
    apache: parseApache(s, get),
    docker,
    diskFreeMb: parseDiskFree(get("disk")),
    firewall: parseFirewall(get("firewall")),
    loginUser,
    selinux: parseSelinux(get("selinux"), docker.daemonJson, parseDockerInfo(get)),
    containerTools,
    dockerFiles,
    serviceAccount: parseServiceAccount(get("service-account")),
  };
}
