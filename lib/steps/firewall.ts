import type { Change } from "../engine/change.ts";
import { handleCount, rulesetFile, unitFile } from "../render/firewall.ts";
import { fileChange } from "../engine/file_change.ts";
import { validatedFileChange } from "../containers/validated_file.ts";
import type { Step } from "./step.ts";
import { parseProbe, probeScript } from "./firewall_probe.ts";
import { exec } from "../transport/exec.ts";
import { APPLY_FIREWALL, checkRuleset, REMOVE_LEGACY_FIREWALL } from "../commands/firewall.ts";
import { enableUnit } from "../commands/systemd.ts";
import { LEGACY_CHAIN, RULESET_PATH, TABLE, UNIT_NAME, UNIT_PATH } from "../base/names.ts";

/** Why the firewall step can't run without nft (also the facts report's line). */
export const NFT_MISSING =
  "nft is not installed: the firewall step loads our rules as an nftables table (install the nftables package)";

/** Step 3: quality opens 8080 and 8443, production only 8443; our containers reachable only as published. */
export const firewallStep: Step = {
  id: "firewall",
  needs: () => ({ scripts: [probeScript()] }),
  plan: (ctx) => {
    const { ssh, host, facts } = ctx;
    const net = host.vars.docker_network;
    if (!facts.firewall.nftables) throw new Error(NFT_MISSING);
    const bridge = facts.docker.networkBridges[net];
    if (!bridge && ctx.opts.check && !facts.docker.networkNames.includes(net)) {
      // A check run on a fresh host: the docker step would create the network (and refresh the
      // facts) before this step runs, so its bridge only has a name then.
      return Promise.resolve([{
        summary: `write ${RULESET_PATH} for the bridge of network ${net} (created by the docker step); ` +
          `load table inet ${TABLE}; enable ${UNIT_NAME}`,
        apply: () => Promise.reject(new Error("planned in check mode only")),
      }]);
    }
    if (!bridge) {
      throw new Error(
        `Docker network ${net} does not exist yet, so its bridge is unknown: run the docker step first (deno task docker)`,
      );
    }
    const state = parseProbe(ctx.probed.sections);
    const changes: Change[] = [];
    // Checked by nft before it replaces the file: a file the kernel would refuse never reaches the
    // unit, which loads it at every boot.
    const r = validatedFileChange(
      ssh,
      RULESET_PATH,
      state.ruleset,
      rulesetFile(host, bridge),
      { mode: 0o644 },
      async (candidate) => void await exec(ssh, checkRuleset(candidate)),
    );
    if (r) changes.push(r);
    // No daemon-reload of its own: `enable` follows every change of the file, and reloads the manager's
    // configuration after it (systemctl(1), --no-reload: "When used with enable and disable, do not
    // implicitly reload daemon configuration"), already-enabled unit included (NeedDaemonReload=no after
    // it, checked on the lab's Debian 12 systemd 252).
    const u = fileChange(ssh, UNIT_PATH, state.unit, unitFile(facts.firewall.firewalld), { mode: 0o644 });
    if (u) changes.push(u);
    // Also after the unit file changed: `enable` links it where its [Install] section now says (a
    // former version's unit was wanted by docker and firewalld only), and makes systemd read it.
    if (!state.enabled || u) {
      changes.push({
        summary:
          `enable ${UNIT_NAME} (the table is loaded at boot and after docker, firewalld, nftables restarts)`,
        command: enableUnit(UNIT_NAME),
      });
    }
    if (r || u || state.handles !== handleCount(host, bridge)) {
      const https = host.vars.allowed_sources.length
        ? `${host.vars.ports.https} open to ${host.vars.allowed_sources.join(" ")}`
        : `${host.vars.ports.https} open`;
      const ports = host.vars.dashboard
        ? `${https}, ${host.vars.ports.dashboard} open`
        : `${https}, ${host.vars.ports.dashboard} closed`;
      changes.push({
        summary: `load nftables table inet ${TABLE} (${ports}; ${bridge} reachable only as published)`,
        command: APPLY_FIREWALL,
      });
    }
    // After the table is in force, so the ports are never without a rule during the migration.
    if (state.legacy.length) {
      changes.push({
        summary: `remove what earlier versions installed: ${state.legacy.join(", ")} ` +
          `(iptables chain ${LEGACY_CHAIN} in DOCKER-USER, firewalld watcher)`,
        command: REMOVE_LEGACY_FIREWALL,
      });
    }
    return Promise.resolve(changes);
  },
};
