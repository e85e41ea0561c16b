/** The firewall step's commands on the host: load our table, check a candidate file, remove ours and what earlier versions left. */
import { LEGACY_CHAIN, LEGACY_SCRIPT_PATH, LEGACY_WATCH_SCRIPT_PATH } from "../base/names.ts";
import { LEGACY_WATCH_UNIT_NAME, LEGACY_WATCH_UNIT_PATH } from "../base/names.ts";
import { RULESET_PATH, TABLE, UNIT_NAME, UNIT_PATH } from "../base/names.ts";
import { quote } from "../base/quote.ts";
import type { Command } from "./command.ts";

/** Loads our table from its file (one transaction) and starts its unit, so that systemd knows it ran. */
export const APPLY_FIREWALL: Command = {
  script: `nft -f ${RULESET_PATH} && systemctl start ${UNIT_NAME}`,
  log: `nft -f ${RULESET_PATH}`,
};

/** Checks a candidate ruleset file without loading it (`nft -c`: parsed and checked by the kernel, nothing committed). */
export function checkRuleset(path: string): Command {
  return { script: `nft -c -f ${quote(path)}`, log: `nft -c -f ${path}` };
}

/**
 * Shell printing a word per part of what earlier versions installed that is still on the host: the
 * iptables chain, the firewalld watcher's unit and script, the script the unit used to run.
 */
export const LEGACY_FIREWALL_PROBE =
  `{ command -v iptables >/dev/null 2>&1 && iptables -w -S ${LEGACY_CHAIN} >/dev/null 2>&1 && echo chain; } ; ` +
  `[ -e ${LEGACY_WATCH_UNIT_PATH} ] && echo watch-unit; [ -e ${LEGACY_WATCH_SCRIPT_PATH} ] && echo watch-script; ` +
  `[ -e ${LEGACY_SCRIPT_PATH} ] && echo script; true`;

/**
 * Removes what earlier versions installed: the watcher first (it would re-apply the chain on a
 * firewalld reload meanwhile), then the chain's jump in DOCKER-USER and the chain. Docker's own jump
 * to DOCKER-USER, which earlier versions moved to the top of FORWARD, is Docker's and stays.
 */
export const REMOVE_LEGACY_FIREWALL: Command = {
  script: `systemctl disable --now ${LEGACY_WATCH_UNIT_NAME} >/dev/null 2>&1 || true
rm -f ${LEGACY_WATCH_UNIT_PATH} ${LEGACY_WATCH_SCRIPT_PATH} ${LEGACY_SCRIPT_PATH}; systemctl daemon-reload
if command -v iptables >/dev/null 2>&1; then
  while iptables -w -D DOCKER-USER -j ${LEGACY_CHAIN} 2>/dev/null; do :; done
  iptables -w -F ${LEGACY_CHAIN} 2>/dev/null || true; iptables -w -X ${LEGACY_CHAIN} 2>/dev/null || true
fi`,
  log: `remove the former iptables chain ${LEGACY_CHAIN} and firewalld watcher`,
};

/** Prints a word per part of ours still on the host: table, unit, ruleset, and the former parts' words. */
export const FIREWALL_LEFTOVERS: Command = {
  script:
    `{ command -v nft >/dev/null 2>&1 && nft list table inet ${TABLE} >/dev/null 2>&1 && echo table; } ; ` +
    `[ -e ${UNIT_PATH} ] && echo unit; [ -e ${RULESET_PATH} ] && echo ruleset; ${LEGACY_FIREWALL_PROBE}`,
  log: "probe our firewall table and unit",
};

/** Removes our unit, its file and our table, then what earlier versions left. */
export const REMOVE_FIREWALL: Command = {
  // The unit first: a Docker or firewalld restart meanwhile would load the table again.
  script: `systemctl disable --now ${UNIT_NAME} >/dev/null 2>&1 || true
rm -f ${UNIT_PATH} ${RULESET_PATH}; systemctl daemon-reload
if command -v nft >/dev/null 2>&1; then nft delete table inet ${TABLE} 2>/dev/null || true; fi
${REMOVE_LEGACY_FIREWALL.script}`,
  log: `remove nftables table inet ${TABLE}`,
};
