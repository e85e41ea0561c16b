/**
 * Our firewall: one nftables table of our own, `table inet isa_monitoring`, and the unit that loads it.
 *
 * Why a table of our own rather than a chain in iptables' DOCKER-USER (what earlier versions did):
 * - Nobody else flushes it. firewalld's nftables backend (RHEL 8, 9, 10; Debian's) deletes only its own
 *   tables on start and reload (`build_flush_rules` in src/firewall/core/nftables.py, v0.9.11 and
 *   v1.2.5), while before 2.0 it ran `-F`/`-X` on every iptables table (ipXtables.py), our chain
 *   included; Docker only ever touches the tables it created. So no watcher of firewalld's D-Bus
 *   signal is needed, and there is no window after a `firewall-cmd --reload` where the rules are gone.
 *   Only `nft flush ruleset` removes it: Debian's /etc/nftables.conf starts with one, so the unit is
 *   re-run after nftables.service starts, restarts or reloads (unitFile()).
 * - A packet dropped in any base chain is dropped, whatever another table's chains accept: Docker's
 *   per-port ACCEPT in iptables' FORWARD (iptables-nft: `table ip filter`, priority 0) and firewalld's
 *   `table inet firewalld` (filter_FORWARD at priority filter + 10) can't override us, and no ordering
 *   of FORWARD (libvirt's or a CNI's jumps on top) matters.
 *
 * The chains sit at priority -10: after NAT's dstnat (-100), so conntrack already knows that a
 * connection was DNAT-ed and to which port the client asked for (`ct original proto-dst`), and before
 * Docker's (0) and firewalld's (+10) filter chains. Filtering happens in forward and output, not in
 * prerouting: before dstnat a packet's DNAT status is not known yet.
 */
import { RULESET_PATH, TABLE, UNIT_NAME } from "../base/names.ts";
import type { Host } from "../inventory/host.ts";

/** The rules of one base chain, as nft writes them. */
export interface NftChain {
  name: string;
  hook: "input" | "forward" | "output";
  rules: string[];
}

/**
 * The chains of our table for `host`, whose Docker network is the bridge interface `bridge`.
 *
 * forward (traffic routed into or out of containers):
 * - production: connections DNAT-ed from the dashboard port dropped, whatever publishes it;
 * - `allowed_sources`: connections DNAT-ed from the HTTPS port dropped unless the client is listed, judged
 *   on the client's packets only (`ct direction original`: the replies' source is the container, and a
 *   connection whose client's packets are dropped never gets any). Plain `ip saddr`, not
 *   `ct original ip saddr`: that one needs a newer conntrack key (NFT_CT_SRC_IP) that older kernels
 *   lack. The list holds IPv4 networks (its schema), so IPv6 clients of that port are dropped;
 * - any new connection into our bridge from another interface that was not DNAT-ed: a machine on the
 *   web server's segment that routes our Docker subnet through it would otherwise reach
 *   `container-IP:8443` or `:9090` directly, past both rules above, and Docker's own per-port ACCEPT
 *   would let it in. Container-to-container traffic (same bridge) and replies are untouched.
 * input (connections to the host's own sockets), the same two port rules for what reaches docker-proxy:
 * Docker's userland proxy listens on every published port and carries what no DNAT rule caught (while
 * Docker rebuilds its rules after a firewalld reload, say) to the container from the host itself, with
 * the client's address lost. Loopback stays open (Apache's or a local check's request to the port). The
 * HTTPS port is ours (the port-clash check refuses another holder). In production the dashboard port
 * is closed on the whole host from outside, not only for Docker: the quality twin publishes our
 * dashboard there, so nothing else is expected on it.
 * output (connections opened by the host's own processes):
 * - a new connection into our bridge that was not DNAT-ed, unless its socket is root's: local users
 *   and a web application with an SSRF flaw (Apache's workers are not root) reach no container of
 *   ours (Prometheus' API and config, the exporter), while the published port (DNAT-ed, as from
 *   anywhere), docker-proxy (root) and our own checks (curl run as root) still do. Root is trusted
 *   anyway: it can enter the containers. Our containers' traffic among themselves never crosses
 *   the host's output (Traefik to Prometheus is bridged, the self-scrape stays in the container).
 */
export function chains(host: Host, bridge: string): NftChain[] {
  const published = (port: number) => `meta l4proto tcp ct status dnat ct original proto-dst ${port}`;
  const forward: string[] = [];
  if (!host.vars.dashboard) forward.push(`${published(host.vars.ports.dashboard)} drop`);
  const allowed = [...new Set(host.vars.allowed_sources ?? [])];
  if (allowed.length) {
    const https = published(host.vars.ports.https);
    forward.push(`${https} ct direction original meta nfproto ipv4 ip saddr != @allowed_sources drop`);
    forward.push(`${https} meta nfproto ipv6 drop`);
  }
  const input: string[] = [];
  if (!host.vars.dashboard) input.push(`iifname != "lo" tcp dport ${host.vars.ports.dashboard} drop`);
  if (allowed.length) {
    const https = `iifname != "lo" tcp dport ${host.vars.ports.https}`;
    input.push(`${https} meta nfproto ipv4 ip saddr != @allowed_sources drop`);
    input.push(`${https} meta nfproto ipv6 drop`);
  }
  const iface = JSON.stringify(bridge);
  forward.push(`oifname ${iface} iifname != ${iface} ct state new ct status & dnat == 0 drop`);
  const output = [`oifname ${iface} ct state new ct status & dnat == 0 meta skuid != 0 drop`];
  const all: NftChain[] = [
    { name: "input", hook: "input", rules: input },
    { name: "forward", hook: "forward", rules: forward },
    { name: "output", hook: "output", rules: output },
  ];
  return all.filter((c) => c.rules.length);
}

/**
 * The file `nft -f` loads. Declaring the table, deleting it and defining it again in one file is one
 * transaction: the old rules stay in force until the new ones are, and a file nft rejects changes
 * nothing. Loading it again is a no-op in effect (same rules), so the unit may run it any time.
 */
export function rulesetFile(host: Host, bridge: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(bridge)) throw new Error(`not an interface name: ${bridge}`);
  const allowed = [...new Set(host.vars.allowed_sources ?? [])];
  const set = allowed.length
    ? [
      `  set allowed_sources {`,
      `    type ipv4_addr; flags interval;`,
      `    elements = { ${allowed.join(", ")} }`,
      `  }`,
    ]
    : [];
  const body = chains(host, bridge).flatMap((c) => [
    `  chain ${c.name} {`,
    `    type filter hook ${c.hook} priority -10; policy accept;`,
    ...c.rules.map((r) => `    ${r}`),
    `  }`,
  ]);
  return `#!/usr/sbin/nft -f
# Managed by isa-monitoring (deno task firewall): do not edit, the next deploy rewrites it.
# Loaded by ${UNIT_NAME} at boot and after docker, firewalld and nftables (re)start.
table inet ${TABLE} {}
delete table inet ${TABLE}
table inet ${TABLE} {
${[...set, ...body].join("\n")}
}
`;
}

/**
 * How many objects `nft -a list table` numbers (`# handle N`) in our loaded table: the table, its set,
 * its chains and their rules. The probe counts them: a missing or edited table is drift.
 */
export function handleCount(host: Host, bridge: string): number {
  const set = (host.vars.allowed_sources ?? []).length ? 1 : 0;
  const cs = chains(host, bridge);
  return 1 + set + cs.length + cs.reduce((n, c) => n + c.rules.length, 0);
}

/** Where systemd finds nft (the same path on RHEL, Debian and Ubuntu; systemd 239 wants it absolute). */
export const NFT = "/usr/sbin/nft";

/**
 * The systemd unit that loads the table: at boot (multi-user.target), and whenever Docker, firewalld
 * or nftables.service starts or restarts (`WantedBy=` starts it with them, `PartOf=` restarts it with
 * them, `After=` runs it once they are up). nftables.service's start and reload run
 * `/etc/nftables.conf`, whose Debian default begins with `flush ruleset`: `ReloadPropagatedFrom=`
 * passes its reloads to us (ExecReload). Stopping the unit leaves the table loaded: firewalld or
 * Docker stopping must not open the ports. Naming a service that isn't installed is harmless:
 * systemd only records the dependency.
 * With firewalld running, nftables.service is left out of `PartOf=` and `ReloadPropagatedFrom=`:
 * firewalld.service `Conflicts=nftables.service` (it can't run beside firewalld), so a `systemctl
 * restart firewalld` queues a stop of nftables.service, which `PartOf=` would pass on to us against the
 * restart job firewalld's own `PartOf=` asks: systemd then refuses the whole transaction ("conflicting
 * jobs 'restart' and 'stop'"), and firewalld doesn't restart (seen on the lab's RHEL-shaped host).
 */
export function unitFile(firewalld: boolean): string {
  const partOf = firewalld
    ? "docker.service firewalld.service"
    : "docker.service firewalld.service nftables.service";
  return `# Managed by isa-monitoring: do not edit.
[Unit]
Description=isa-monitoring firewall (nftables table inet ${TABLE})
After=docker.service firewalld.service nftables.service
PartOf=${partOf}
${firewalld ? "" : "ReloadPropagatedFrom=nftables.service\n"}
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${NFT} -f ${RULESET_PATH}
ExecReload=${NFT} -f ${RULESET_PATH}

[Install]
WantedBy=multi-user.target docker.service firewalld.service nftables.service
`;
}
