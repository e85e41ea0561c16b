import { CHAIN, SCRIPT_PATH, UNIT_NAME } from "../base/names.ts";
import type { Host } from "../inventory/host.ts";

/**
 * Rules of our chain, as `iptables` arguments after `-A CHAIN`.
 *
 * Ports published by Docker are DNAT-ed in PREROUTING and then forwarded: they never cross INPUT,
 * and in FORWARD the destination port is already the container's. So the rules live in
 * DOCKER-USER and match the port the client asked for (conntrack's original destination port).
 * Every rule also requires `--ctstate DNAT`: only connections to a port published on this host
 * were DNAT-ed, so our containers' own outbound connections to some :8080 elsewhere, and traffic
 * between containers, never match. Sources are IPv4 because so are our published ports
 * (`HostIp: 0.0.0.0` in containers/builders.ts: nothing of ours listens on IPv6, where
 * docker-proxy would carry the traffic past every FORWARD rule).
 */
export function chainRules(host: Host): string[] {
  const tag = `-m comment --comment isa-monitoring`;
  const published = (port: number) => `-p tcp -m conntrack --ctstate DNAT --ctorigdstport ${port}`;
  const rules: string[] = [];
  if (!host.vars.dashboard) {
    // Production: the dashboard port stays closed to the outside, whatever publishes it.
    rules.push(`${published(host.vars.ports.dashboard)} ${tag} -j DROP`);
  }
  const allowed = [...new Set(host.vars.allowed_sources ?? [])];
  if (allowed.length) {
    // The HTTPS port only from the listed networks (e.g. the hosted Grafana's egress addresses).
    // --ctorigsrc, not -s: the replies cross DOCKER-USER too (source: the container), and belong to
    // the connection the client opened (seen on the lab: -s let the SYN in and dropped the answer).
    for (const cidr of allowed) {
      rules.push(
        `-p tcp -m conntrack --ctstate DNAT --ctorigsrc ${cidr} --ctorigdstport ${host.vars.ports.https} ${tag} -j RETURN`,
      );
    }
    rules.push(`${published(host.vars.ports.https)} ${tag} -j DROP`);
  }
  rules.push(`${tag} -j RETURN`);
  return rules;
}

/** The script that makes the live rules match, idempotently (no duplicates however often it runs). */
export function firewallScript(host: Host): string {
  const rules = chainRules(host).map((r) => `-A ${CHAIN} ${r}`).join("\n");
  return `#!/bin/sh
# Managed by isa-monitoring (deno task firewall): do not edit, the next deploy rewrites it.
# Re-applied after every Docker or firewalld start, and firewalld reload, by ${UNIT_NAME}.
set -eu
# Docker may be creating DOCKER-USER at this very moment (after a firewalld reload): either of us may win.
iptables -w -n -L DOCKER-USER >/dev/null 2>&1 || iptables -w -N DOCKER-USER 2>/dev/null || iptables -w -n -L DOCKER-USER >/dev/null
# Docker keeps its jump to DOCKER-USER first in FORWARD, but after a firewalld reload Docker 20.10 puts
# its bridge rules back above it (seen on the lab's RHEL-shaped host), and they accept published ports
# before DOCKER-USER is reached. Put it first again, as Docker itself does at start.
if [ "$(iptables -w -S FORWARD | sed -n 2p)" != "-A FORWARD -j DOCKER-USER" ]; then
  while iptables -w -D FORWARD -j DOCKER-USER 2>/dev/null; do :; done
  iptables -w -I FORWARD 1 -j DOCKER-USER
fi
# Declaring the chain in a --noflush restore empties it and refills it in one commit.
iptables-restore -w --noflush <<'RULES'
*filter
:${CHAIN} - [0:0]
${rules}
COMMIT
RULES
while iptables -w -D DOCKER-USER -j ${CHAIN} 2>/dev/null; do :; done
iptables -w -I DOCKER-USER 1 -j ${CHAIN}
`;
}

/**
 * The systemd unit: runs the script whenever Docker or firewalld starts (boot included) or restarts.
 * firewalld before 2.0 deletes every iptables chain when it (re)starts, so the unit is ordered after it
 * and `PartOf=` it; `firewall-cmd --reload` bypasses systemd and is caught by the watcher
 * (firewalld_watch.ts). Naming firewalld.service where it isn't installed is harmless: systemd only
 * records the dependency.
 */
export function unitFile(): string {
  return `# Managed by isa-monitoring: do not edit.
[Unit]
Description=isa-monitoring firewall rules in DOCKER-USER
After=docker.service firewalld.service
PartOf=docker.service firewalld.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${SCRIPT_PATH}

[Install]
WantedBy=docker.service firewalld.service
`;
}
