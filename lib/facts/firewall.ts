/** The host's packet filters and how their rules persist. */

/** Which firewall tools the host has. */
export interface FirewallFacts {
  iptables: boolean;
  firewalld: boolean;
  nftables: boolean;
  persistence: "netfilter-persistent" | "iptables-services" | "none";
}

/** Shell section: the tools present (`$firewalld_state`: firewalld's unit state, from the probe's one systemctl). */
export const FIREWALL_SECTION = `isa_sec firewall
command -v iptables >/dev/null 2>&1 && echo iptables
command -v nft >/dev/null 2>&1 && echo nftables
[ "$firewalld_state" = active ] && echo firewalld
command -v netfilter-persistent >/dev/null 2>&1 && echo netfilter-persistent
[ -x /usr/libexec/iptables/iptables.init ] && echo iptables-services
`;

/** The firewall facts from the section's lines. */
export function parseFirewall(lines: string[]): FirewallFacts {
  const fw = new Set(lines);
  return {
    iptables: fw.has("iptables"),
    firewalld: fw.has("firewalld"),
    nftables: fw.has("nftables"),
    persistence: fw.has("netfilter-persistent")
      ? "netfilter-persistent"
      : fw.has("iptables-services")
      ? "iptables-services"
      : "none",
  };
}
