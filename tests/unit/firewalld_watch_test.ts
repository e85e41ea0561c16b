import assert from "node:assert/strict";
import { firewallScript, unitFile } from "../../lib/render/firewall.ts";
import { RELOADED_MATCH, watchScript, watchUnitFile } from "../../lib/render/firewalld_watch.ts";
import { blankProbed, needsScript } from "../../lib/facts/needs.ts";
import { firewallStep } from "../../lib/steps/firewall.ts";
import { inventoryPath, loadInventory } from "../../lib/inventory/load.ts";
import type { HostContext } from "../../lib/steps/step.ts";
import type { Facts } from "../../lib/facts/facts.ts";
import type { Ssh } from "../../lib/transport/ssh.ts";
import { sections } from "../../lib/base/probe_sections.ts";
import { parseWatchProbe, probeScript, watchProbeScript } from "../../lib/steps/firewall_probe.ts";
import {
  SCRIPT_PATH,
  UNIT_NAME,
  WATCH_SCRIPT_PATH,
  WATCH_UNIT_NAME,
  WATCH_UNIT_PATH,
} from "../../lib/base/names.ts";

const prod = (await loadInventory(inventoryPath({ prod: true }))).hosts[0];

/** The [Unit]/[Install] values of a unit file, by key (space-separated lists joined). */
function unitValues(text: string, key: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(`${key}=`)).flatMap((l) =>
    l.slice(key.length + 1).split(" ")
  );
}

Deno.test("the firewall unit re-runs when firewalld starts or restarts, not only with Docker", () => {
  const u = unitFile();
  assert.deepEqual(unitValues(u, "After").sort(), ["docker.service", "firewalld.service"]);
  assert.deepEqual(unitValues(u, "PartOf").sort(), ["docker.service", "firewalld.service"]);
  assert.deepEqual(unitValues(u, "WantedBy").sort(), ["docker.service", "firewalld.service"]);
  assert.deepEqual(unitValues(u, "ExecStart"), [SCRIPT_PATH]);
});

Deno.test("the script tolerates Docker creating DOCKER-USER at the same moment", () => {
  const s = firewallScript(prod);
  const line = s.split("\n").find((l) => l.includes("-N DOCKER-USER"))!;
  // Creating it may fail because Docker just did; then the chain must exist, else the script fails.
  assert.match(
    line,
    /\|\| iptables -w -N DOCKER-USER 2>\/dev\/null \|\| iptables -w -n -L DOCKER-USER >\/dev\/null$/,
  );
});

Deno.test("the watcher listens for firewalld's Reloaded signal and re-runs the firewall unit", () => {
  const s = watchScript();
  assert.ok(s.startsWith("#!/bin/sh\n"));
  assert.ok(s.includes(`busctl --system --match="${RELOADED_MATCH}" monitor`));
  assert.match(RELOADED_MATCH, /interface='org\.fedoraproject\.FirewallD1'/);
  assert.match(RELOADED_MATCH, /member='Reloaded'/);
  assert.match(s, /\*Member=Reloaded\*\)/);
  assert.match(s, /\*Member=Reloaded\*\) settle ;;/, "each reload: settle");
  assert.match(s, /\nsettle &\n/, "started with firewalld (boot, restart): settle too");
  assert.ok(
    s.includes(`in_force || systemctl restart ${UNIT_NAME}`),
    "re-applied while Docker rebuilds its chains",
  );
  assert.match(s, /iptables -w -C DOCKER-USER -j ISA-MONITORING/);
  assert.ok(
    s.includes(`[ "$(iptables -w -S FORWARD 2>/dev/null | sed -n 2p)" = "-A FORWARD -j DOCKER-USER" ]`),
  );
  assert.match(s, /\nexit 1\n$/, "a watcher whose busctl died exits non-zero (systemd restarts it)");
  const u = watchUnitFile();
  assert.deepEqual(unitValues(u, "ExecStart"), [WATCH_SCRIPT_PATH]);
  assert.deepEqual(unitValues(u, "PartOf"), ["firewalld.service"]);
  assert.deepEqual(unitValues(u, "WantedBy"), ["firewalld.service"]);
  assert.deepEqual(unitValues(u, "Restart"), ["always"]);
});

Deno.test("watcher probe parsing: files, enabled, active", () => {
  const s = sections(
    `@@watch-script\n${watchScript()}@@watch-unit\n${watchUnitFile()}@@watch-enabled\nenabled\n@@watch-active\nactive\n` +
      "@@forward-first\n-A FORWARD -j DOCKER-USER\n@@end\n",
  );
  assert.deepEqual(parseWatchProbe(s), {
    script: watchScript(),
    unit: watchUnitFile(),
    enabled: true,
    active: true,
    forwardFirst: true,
  });
  const none = parseWatchProbe(
    sections("@@watch-script\n@@watch-unit\n@@watch-enabled\ndisabled\n@@watch-active\ninactive\n@@end\n"),
  );
  assert.deepEqual(none, { script: null, unit: null, enabled: false, active: false, forwardFirst: false });
  assert.match(watchProbeScript(), /systemctl is-active isa-monitoring-firewalld-watch\.service/);
});

/** Probe output of a host where our rules, files and units are all in place. */
function settledProbe(watchActive: boolean, forwardFirst = "-A FORWARD -j DOCKER-USER"): string {
  return [
    "@@rules",
    "rule-ok",
    "rule-ok",
    "@@count",
    "2",
    "@@jumps",
    "2:-A DOCKER-USER -j ISA-MONITORING",
    "@@script",
    firewallScript(prod).trimEnd(),
    "@@unit",
    unitFile().trimEnd(),
    "@@enabled",
    "enabled",
    "@@watch-script",
    watchScript().trimEnd(),
    "@@watch-unit",
    watchUnitFile().trimEnd(),
    "@@watch-enabled",
    "enabled",
    "@@watch-active",
    watchActive ? "active" : "inactive",
    "@@forward-first",
    forwardFirst,
    "@@end",
    "",
  ].join("\n");
}

function fakeContext(probeOutput: string, firewalld: boolean): { ctx: HostContext; scripts: string[] } {
  const scripts: string[] = [];
  const ssh = {
    run: (script: string) => {
      scripts.push(script);
      return Promise.resolve({ code: 0, stdout: "", stderr: "" });
    },
  } as unknown as Ssh;
  const facts = {
    firewall: { iptables: true, firewalld, nftables: true, persistence: "none" },
  } as unknown as Facts;
  const probed = { ...blankProbed(), sections: sections(probeOutput) };
  const ctx = { host: prod, ssh, facts, probed } as unknown as HostContext;
  return { ctx, scripts };
}

Deno.test("firewall step: its probe rides in the batched probe (no round trip of its own); a settled host plans nothing", async () => {
  const { ctx, scripts } = fakeContext(settledProbe(true), true);
  assert.deepEqual(await firewallStep.plan(ctx), []);
  assert.equal(scripts.length, 0);
  const needs = firewallStep.needs!(prod);
  const batched = needsScript(needs);
  assert.ok(batched.includes(probeScript(prod).trim()));
  assert.ok(batched.includes(watchProbeScript().trim()));
});

Deno.test("firewall step: the watcher is installed everywhere, started only where firewalld runs", async () => {
  const empty = "@@rules\n@@count\n0\n@@jumps\n@@script\n@@unit\n@@enabled\ndisabled\n" +
    "@@watch-script\n@@watch-unit\n@@watch-enabled\ndisabled\n@@watch-active\ninactive\n@@end\n";
  const withFw = (await firewallStep.plan(fakeContext(empty, true).ctx)).map((c) => c.summary);
  for (const expected of [`create ${WATCH_SCRIPT_PATH}`, `create ${WATCH_UNIT_PATH}`]) {
    assert.ok(withFw.includes(expected), `${expected} in ${withFw.join(" | ")}`);
  }
  assert.ok(withFw.some((s) => s.startsWith(`enable ${WATCH_UNIT_NAME}`)));
  assert.ok(withFw.some((s) => s.startsWith(`start ${WATCH_UNIT_NAME}`)));
  const withoutFw = (await firewallStep.plan(fakeContext(empty, false).ctx)).map((c) => c.summary);
  assert.ok(withoutFw.includes(`create ${WATCH_UNIT_PATH}`));
  assert.ok(!withoutFw.some((s) => s.includes(`start ${WATCH_UNIT_NAME}`)), "no firewalld: not started");
  // firewalld active but the watcher stopped (e.g. killed): started again, nothing else.
  const stopped = (await firewallStep.plan(fakeContext(settledProbe(false), true).ctx)).map((c) => c.summary);
  assert.deepEqual(stopped, [`start ${WATCH_UNIT_NAME} (firewalld is active)`]);
});

Deno.test("firewall step: DOCKER-USER no longer first in FORWARD (after a firewalld reload) is drift", async () => {
  const moved = settledProbe(true, "-A FORWARD -j DOCKER-ISOLATION-STAGE-1");
  const plan = (await firewallStep.plan(fakeContext(moved, true).ctx)).map((c) => c.summary);
  assert.deepEqual(plan, ["apply iptables chain ISA-MONITORING in DOCKER-USER (8443 open, 8080 closed)"]);
  const s = firewallScript(prod);
  assert.match(s, /\[ "\$\(iptables -w -S FORWARD \| sed -n 2p\)" != "-A FORWARD -j DOCKER-USER" \]/);
  assert.match(s, /iptables -w -I FORWARD 1 -j DOCKER-USER/);
});
