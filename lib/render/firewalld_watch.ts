import { CHAIN, UNIT_NAME, WATCH_SCRIPT_PATH } from "../base/names.ts";
/**
 * Our iptables rules and firewalld.
 *
 * firewalld before 2.0 deletes every iptables chain and rule, of every table, whenever it starts or
 * reloads, whatever its backend: `flush()` runs over `all_backends()`, and the ip(6)tables backends stay
 * in that list with `FirewallBackend=nftables` "for direct rules"; their `build_flush_rules()` emit
 * `-F`, `-X`, `-Z` per table (firewalld src/firewall/core/fw.py and ipXtables.py at tags v0.9.11 and
 * v1.3.3; the same code in Debian 12's python3-firewall 1.3.3-1~deb12u2). `firewall-cmd --reload`,
 * `--complete-reload` and SIGHUP end with the D-Bus signal `Reloaded` on interface
 * org.fedoraproject.FirewallD1 (firewall/server/firewalld.py). firewalld 2.0 (commit b7faa74d, backported to RHEL 9.3's 1.2.5 and RHEL 8.10's 0.9.11-9)
 * skips that flush while it holds no direct rules; Debian 12 (1.3.3) and older RHEL minors don't. Docker
 * puts its own chains back, an empty DOCKER-USER included, when firewalld signals `Reloaded` on D-Bus or
 * comes back on the bus (moby libnetwork/iptables/firewalld.go); our chain and jump stay lost until
 * Docker restarts. The lab's RHEL-shaped host (Debian's firewalld 1.3.3) reproduces this.
 *
 * How ours come back, and why this way:
 * - `systemctl restart firewalld` (and boot): the firewall unit is ordered after firewalld.service and is
 *   `PartOf=` it, so systemd re-runs it once firewalld is up again (see unitFile() in firewall.ts).
 * - `firewall-cmd --reload` is a D-Bus call to firewalld, never a systemd job, so no unit dependency sees
 *   it. The watcher below listens for firewalld's `Reloaded` signal, as Docker does, and re-runs the
 *   firewall unit: the one script that sets our rules on every host, firewalld or not.
 * - Not firewalld's direct rules: deprecated since firewalld 1.0, and holding any direct rule switches the
 *   full iptables flush back on in firewalld 2.0 and patched RHEL (Docker's rules would then vanish at
 *   every reload); our rules would also live in two places (firewalld's config and our script).
 * - Not firewalld policies: they see the packet after Docker's DNAT (the container's port), and can't
 *   match the port the client asked for (conntrack's original destination) that our rule drops.
 * - `busctl` (part of systemd, `monitor --match` since systemd 209: RHEL 8 has 239) rather than
 *   `dbus-monitor`, which RHEL ships in the optional dbus-tools package.
 * Between Docker putting its port rules back and our re-run (at most half a second, measured on the lab's
 * RHEL-shaped host: 8080 answered once within the first second after a reload) the dashboard port is open.
 */

/** D-Bus match of firewalld's Reloaded signal (interface and member as firewalld's server/firewalld.py emits it). */
export const RELOADED_MATCH = "type='signal',interface='org.fedoraproject.FirewallD1',member='Reloaded'";

/** The watcher: one `busctl monitor` for the signal; each signal re-runs the firewall unit. */
export function watchScript(): string {
  return `#!/bin/sh
# Managed by isa-monitoring (deno task firewall): do not edit, the next deploy rewrites it.
# firewalld before 2.0 deletes every iptables chain, ours included, when it starts and when it reloads
# (firewall-cmd --reload is a D-Bus call, not a systemd job); Docker then rebuilds its own chains for a
# few seconds, and Docker 20.10 leaves its accept rules above the DOCKER-USER jump. So, when firewalld
# (re)starts (this service starts with it) and on each Reloaded signal: watch for 15 s and re-apply our
# rules through ${UNIT_NAME} whenever they are not in force.
in_force() {
  [ "$(iptables -w -S FORWARD 2>/dev/null | sed -n 2p)" = "-A FORWARD -j DOCKER-USER" ] &&
    iptables -w -C DOCKER-USER -j ${CHAIN} 2>/dev/null
}
settle() {
  i=0
  while [ $i -lt 30 ]; do
    # Without a running Docker there are no Docker rules to fight; ${UNIT_NAME} runs when it starts.
    systemctl -q is-active docker.service || return 0
    in_force || systemctl restart ${UNIT_NAME} || true
    sleep 0.5
    i=$((i + 1))
  done
}
settle &
busctl --system --match=${JSON.stringify(RELOADED_MATCH)} monitor 2>&1 |
while IFS= read -r line; do
  case "$line" in
    *Member=Reloaded*) settle ;;
  esac
done
# busctl ended (the bus went away): exit non-zero so that systemd starts the watcher again.
exit 1
`;
}

/** The watcher's unit: started with firewalld (WantedBy), stopped and restarted with it (PartOf). */
export function watchUnitFile(): string {
  return `# Managed by isa-monitoring: do not edit.
[Unit]
Description=isa-monitoring: re-apply our firewall rules when firewalld reloads
After=firewalld.service
PartOf=firewalld.service

[Service]
ExecStart=${WATCH_SCRIPT_PATH}
Restart=always
RestartSec=5

[Install]
WantedBy=firewalld.service
`;
}
