/**
 * The firewall step's own probe sections (our table, its file and unit, what earlier versions left)
 * and their parser, asked in the host's batched probe: kept with the step, since render/ makes no probe.
 */
import { RULESET_PATH, TABLE, UNIT_NAME, UNIT_PATH } from "../base/names.ts";
import { LEGACY_FIREWALL_PROBE } from "../commands/firewall.ts";

/**
 * Probe sections (in the host's batched probe): the live table's objects, our files, the unit, the former
 * parts. The objects are counted as `grep -c '# handle'` did (lines holding one) by the shell itself,
 * and a missing file costs no `cat`: every process costs a light host 3 to 10 ms of CPU (issue 25).
 */
export function probeScript(): string {
  return `
echo @@handles; fw=$(nft -a list table inet ${TABLE} 2>/dev/null); fw_n=0
while :; do case "$fw" in *"# handle"*) fw_n=$((fw_n + 1)); fw=\${fw#*"# handle"}; case "$fw" in *"$nl"*) fw=\${fw#*"$nl"} ;; *) fw="" ;; esac ;; *) break ;; esac; done; echo $fw_n
echo @@ruleset; [ -f ${RULESET_PATH} ] && cat ${RULESET_PATH} 2>/dev/null
echo @@unit; [ -f ${UNIT_PATH} ] && cat ${UNIT_PATH} 2>/dev/null
echo @@enabled; systemctl is-enabled ${UNIT_NAME} 2>/dev/null || true
echo @@legacy; ${LEGACY_FIREWALL_PROBE}
`;
}

/** What the probe found. */
export interface FirewallState {
  /** Objects `nft -a` numbers in our live table (0: no table). */
  handles: number;
  ruleset: string | null;
  unit: string | null;
  enabled: boolean;
  /** Parts earlier versions installed that are still there (`chain`, `watch-unit`, `watch-script`, `script`). */
  legacy: string[];
}

/** Parses the probe output (sections as the facts probe prints them). */
export function parseProbe(s: Map<string, string[]>): FirewallState {
  const text = (k: string) => (s.get(k)?.length ? s.get(k)!.join("\n") + "\n" : null);
  return {
    handles: Number((s.get("handles") ?? ["0"])[0] || "0") || 0,
    ruleset: text("ruleset"),
    unit: text("unit"),
    enabled: (s.get("enabled") ?? [])[0] === "enabled",
    legacy: (s.get("legacy") ?? []).map((l) => l.trim()).filter(Boolean),
  };
}
