/**
 * The firewall step's own probe sections (its chain's rules, its files, the firewalld watcher) and their
 * parsers, asked in the host's batched probe: kept with the step, since render/ makes no probe.
 */
import type { Host } from "../inventory/host.ts";
import { chainRules } from "../render/firewall.ts";
import { CHAIN, SCRIPT_PATH, UNIT_NAME, UNIT_PATH } from "../base/names.ts";
import { WATCH_SCRIPT_PATH, WATCH_UNIT_NAME, WATCH_UNIT_PATH } from "../base/names.ts";

/** Probe sections (in the host's batched probe): are the live rules, the script and the unit as desired? */
export function probeScript(host: Host): string {
  const checks = chainRules(host).map((r) =>
    `iptables -w -C ${CHAIN} ${r} 2>/dev/null && echo rule-ok || echo rule-missing`
  );
  return `
echo @@rules; ${checks.join("; ")}
echo @@count; iptables -w -S ${CHAIN} 2>/dev/null | grep -c '^-A' || true
echo @@jumps; iptables -w -S DOCKER-USER 2>/dev/null | grep -n -- '-j ${CHAIN}$' || true
echo @@script; cat ${SCRIPT_PATH} 2>/dev/null
echo @@unit; cat ${UNIT_PATH} 2>/dev/null
echo @@enabled; systemctl is-enabled ${UNIT_NAME} 2>/dev/null || true
`;
}

/** What the probe found. */
export interface FirewallState {
  rulesOk: boolean;
  jumpOk: boolean;
  script: string | null;
  unit: string | null;
  enabled: boolean;
}

/** Parses the probe output (sections as the facts probe prints them). */
export function parseProbe(s: Map<string, string[]>, host: Host): FirewallState {
  const rules = s.get("rules") ?? [];
  const count = Number((s.get("count") ?? ["0"])[0] || "0");
  const jumps = (s.get("jumps") ?? []).filter(Boolean);
  const text = (k: string) => (s.get(k)?.length ? s.get(k)!.join("\n") + "\n" : null);
  return {
    rulesOk: rules.length > 0 && rules.every((r) => r === "rule-ok") && count === chainRules(host).length,
    // Line 1 of `-S DOCKER-USER` is `-N DOCKER-USER`, so our jump must be line 2, and alone.
    jumpOk: jumps.length === 1 && jumps[0].startsWith("2:"),
    script: text("script"),
    unit: text("unit"),
    enabled: (s.get("enabled") ?? [])[0] === "enabled",
  };
}

/** One-round-trip probe of the watcher (its files, whether it is enabled and running) and of FORWARD's first rule. */
export function watchProbeScript(): string {
  return `
echo @@watch-script; cat ${WATCH_SCRIPT_PATH} 2>/dev/null
echo @@watch-unit; cat ${WATCH_UNIT_PATH} 2>/dev/null
echo @@watch-enabled; systemctl is-enabled ${WATCH_UNIT_NAME} 2>/dev/null || true
echo @@watch-active; systemctl is-active ${WATCH_UNIT_NAME} 2>/dev/null || true
echo @@forward-first; iptables -w -S FORWARD 2>/dev/null | sed -n 2p
`;
}

/** What the watcher probe found. */
export interface WatchState {
  script: string | null;
  unit: string | null;
  enabled: boolean;
  active: boolean;
  /**
   * FORWARD's first rule jumps to DOCKER-USER, as Docker sets it up; after a firewalld reload Docker 20.10
   * leaves it below its own accept rules, where our chain no longer sees published ports.
   */
  forwardFirst: boolean;
}

/** Parses the watcher probe's sections. */
export function parseWatchProbe(s: Map<string, string[]>): WatchState {
  const text = (k: string) => (s.get(k)?.length ? s.get(k)!.join("\n") + "\n" : null);
  return {
    script: text("watch-script"),
    unit: text("watch-unit"),
    enabled: (s.get("watch-enabled") ?? [])[0] === "enabled",
    active: (s.get("watch-active") ?? [])[0] === "active",
    forwardFirst: (s.get("forward-first") ?? [])[0] === "-A FORWARD -j DOCKER-USER",
  };
}
