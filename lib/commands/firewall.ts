/** The firewall step's commands on the host: apply our chain, find what is left of it, remove it. */
import { CHAIN, SCRIPT_PATH, UNIT_NAME, UNIT_PATH } from "../base/names.ts";
import { WATCH_SCRIPT_PATH, WATCH_UNIT_NAME, WATCH_UNIT_PATH } from "../base/names.ts";
import type { Command } from "./command.ts";

/** Runs our script (the chain, its jump) and starts its unit. */
export const APPLY_FIREWALL: Command = {
  script: `${SCRIPT_PATH} && systemctl start ${UNIT_NAME}`,
  log: SCRIPT_PATH,
};

/** Prints a word per part of ours still on the host: chain, unit, script, watch-unit, watch-script. */
export const FIREWALL_LEFTOVERS: Command = {
  script:
    `iptables -w -S ${CHAIN} >/dev/null 2>&1 && echo chain; [ -e ${UNIT_PATH} ] && echo unit; [ -e ${SCRIPT_PATH} ] && echo script; [ -e ${WATCH_UNIT_PATH} ] && echo watch-unit; [ -e ${WATCH_SCRIPT_PATH} ] && echo watch-script; true`,
  log: "probe our firewall chain and unit",
};

/** Removes our chain, its DOCKER-USER jump, both units and both scripts. */
export const REMOVE_FIREWALL: Command = {
  // The watcher first: it would otherwise re-apply the chain on a firewalld reload meanwhile.
  script: `systemctl disable --now ${WATCH_UNIT_NAME} >/dev/null 2>&1 || true
systemctl disable --now ${UNIT_NAME} >/dev/null 2>&1 || true
rm -f ${WATCH_UNIT_PATH} ${WATCH_SCRIPT_PATH} ${UNIT_PATH} ${SCRIPT_PATH}; systemctl daemon-reload
while iptables -w -D DOCKER-USER -j ${CHAIN} 2>/dev/null; do :; done
iptables -w -F ${CHAIN} 2>/dev/null || true; iptables -w -X ${CHAIN} 2>/dev/null || true`,
  log: `remove chain ${CHAIN}`,
};
