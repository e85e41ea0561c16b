import type { Change } from "../engine/change.ts";
import { firewallScript, unitFile } from "../render/firewall.ts";
import { watchScript, watchUnitFile } from "../render/firewalld_watch.ts";
import { fileChange } from "../engine/file_change.ts";
import type { Step } from "./step.ts";
import { parseProbe, parseWatchProbe, probeScript, watchProbeScript } from "./firewall_probe.ts";
import { exec } from "../transport/exec.ts";
import { APPLY_FIREWALL } from "../commands/firewall.ts";
import { DAEMON_RELOAD, enableUnit, restartUnit } from "../commands/systemd.ts";
import { SCRIPT_PATH, UNIT_NAME, UNIT_PATH } from "../base/names.ts";
import { WATCH_SCRIPT_PATH, WATCH_UNIT_NAME, WATCH_UNIT_PATH } from "../base/names.ts";

/** Step 3: quality opens 8080 and 8443, production only 8443 — enforced where Docker traffic flows. */
export const firewallStep: Step = {
  id: "firewall",
  needs: (host) => ({ scripts: [probeScript(host) + watchProbeScript()] }),
  plan: (ctx) => {
    const { ssh, host, facts } = ctx;
    if (!facts.firewall.iptables) {
      throw new Error("iptables is not installed; the firewall step manages iptables rules");
    }
    const probed = ctx.probed.sections;
    const state = parseProbe(probed, host);
    const watch = parseWatchProbe(probed);
    const changes: Change[] = [];
    const script = firewallScript(host);
    const s = fileChange(ssh, SCRIPT_PATH, state.script, script, { mode: 0o755 });
    if (s) changes.push(s);
    const u = fileChange(ssh, UNIT_PATH, state.unit, unitFile(), {
      mode: 0o644,
      after: async () => void await exec(ssh, DAEMON_RELOAD),
    });
    if (u) changes.push(u);
    if (!state.enabled) {
      changes.push({
        summary: `enable ${UNIT_NAME} (rules come back after reboots and Docker restarts)`,
        command: enableUnit(UNIT_NAME),
      });
    }
    // The firewalld watcher goes on every host: it only runs while firewalld does (WantedBy/PartOf), so
    // a host where firewalld is enabled later is covered too.
    const daemonReload = async () => void await exec(ssh, DAEMON_RELOAD);
    const ws = fileChange(ssh, WATCH_SCRIPT_PATH, watch.script, watchScript(), { mode: 0o755 });
    if (ws) changes.push(ws);
    const wu = fileChange(ssh, WATCH_UNIT_PATH, watch.unit, watchUnitFile(), {
      mode: 0o644,
      after: daemonReload,
    });
    if (wu) changes.push(wu);
    if (!watch.enabled) {
      changes.push({
        summary: `enable ${WATCH_UNIT_NAME} (rules come back after \`firewall-cmd --reload\`)`,
        command: enableUnit(WATCH_UNIT_NAME),
      });
    }
    if (ctx.facts.firewall.firewalld && (!watch.active || ws || wu)) {
      changes.push({
        summary: `${watch.active ? "restart" : "start"} ${WATCH_UNIT_NAME} (firewalld is active)`,
        command: restartUnit(WATCH_UNIT_NAME),
      });
    }
    if (!state.rulesOk || !state.jumpOk || !watch.forwardFirst || s) {
      const https = host.vars.allowed_sources.length
        ? `${host.vars.ports.https} open to ${host.vars.allowed_sources.join(" ")}`
        : `${host.vars.ports.https} open`;
      const ports = host.vars.dashboard
        ? `${https}, ${host.vars.ports.dashboard} open`
        : `${https}, ${host.vars.ports.dashboard} closed`;
      changes.push({
        summary: `apply iptables chain ISA-MONITORING in DOCKER-USER (${ports})`,
        command: APPLY_FIREWALL,
      });
    }
    return Promise.resolve(changes);
  },
};
