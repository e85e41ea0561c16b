import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chains, handleCount, rulesetFile, unitFile } from "../../lib/render/firewall.ts";
import { inventoryPath, loadInventory } from "../../lib/inventory/load.ts";
import { sections } from "../../lib/base/probe_sections.ts";
import { parseProbe } from "../../lib/steps/firewall_probe.ts";
import { firewallStep, NFT_MISSING } from "../../lib/steps/firewall.ts";
import { removeFirewallStep } from "../../lib/steps/uninstall.ts";
import { factsReport } from "../../lib/steps/facts.ts";
import { parseFacts } from "../../lib/facts/probe.ts";
import { blankProbed } from "../../lib/facts/needs.ts";
import { applyChange } from "../../lib/engine/change.ts";
import { fakeContext, qualHost } from "../helpers/fake_host.ts";
import type { Facts } from "../../lib/facts/facts.ts";
import type { Host } from "../../lib/inventory/host.ts";

const qual = (await loadInventory(inventoryPath({ prod: false }))).hosts[0];
const prod = (await loadInventory(inventoryPath({ prod: true }))).hosts[0];
const BR = "br-0123456789ab";
const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

Deno.test("the table, whole: production with allowed_sources (one file, one transaction, idempotent)", () => {
  const h = {
    ...prod,
    vars: { ...prod.vars, allowed_sources: ["192.0.2.0/24", "198.51.100.7", "192.0.2.0/24"] },
  };
  assert.equal(
    rulesetFile(h, BR),
    `#!/usr/sbin/nft -f
# Managed by isa-monitoring (deno task firewall): do not edit, the next deploy rewrites it.
# Loaded by isa-monitoring-firewall.service at boot and after docker, firewalld and nftables (re)start.
table inet isa_monitoring {}
delete table inet isa_monitoring
table inet isa_monitoring {
  set allowed_sources {
    type ipv4_addr; flags interval;
    elements = { 192.0.2.0/24, 198.51.100.7 }
  }
  chain input {
    type filter hook input priority -10; policy accept;
    iifname != "lo" tcp dport 8080 drop
    iifname != "lo" tcp dport 8443 meta nfproto ipv4 ip saddr != @allowed_sources drop
    iifname != "lo" tcp dport 8443 meta nfproto ipv6 drop
  }
  chain forward {
    type filter hook forward priority -10; policy accept;
    meta l4proto tcp ct status dnat ct original proto-dst 8080 drop
    meta l4proto tcp ct status dnat ct original proto-dst 8443 ct direction original meta nfproto ipv4 ip saddr != @allowed_sources drop
    meta l4proto tcp ct status dnat ct original proto-dst 8443 meta nfproto ipv6 drop
    oifname "br-0123456789ab" iifname != "br-0123456789ab" ct state new ct status & dnat == 0 drop
  }
  chain output {
    type filter hook output priority -10; policy accept;
    oifname "br-0123456789ab" ct state new ct status & dnat == 0 meta skuid != 0 drop
  }
}
`,
  );
  // table + set + 3 chains + 8 rules, as `nft -a list table` numbers them (counted on nft 1.0.6).
  assert.equal(handleCount(h, BR), 13);
});

Deno.test("quality: the dashboard port stays open, no set, no input chain; the bypass and output rules are everywhere", () => {
  assert.deepEqual(chains(qual, BR).map((c) => c.name), ["forward", "output"]);
  const [forward, output] = chains(qual, BR);
  assert.deepEqual(forward.rules, [
    `oifname "${BR}" iifname != "${BR}" ct state new ct status & dnat == 0 drop`,
  ]);
  assert.deepEqual(output.rules, [`oifname "${BR}" ct state new ct status & dnat == 0 meta skuid != 0 drop`]);
  assert.doesNotMatch(rulesetFile(qual, BR), /set |8080|8443/);
  assert.equal(handleCount(qual, BR), 5);
  const [pi, pf] = chains(prod, BR);
  assert.deepEqual(pi.rules, ['iifname != "lo" tcp dport 8080 drop'], "docker-proxy's listener too");
  assert.equal(pf.rules[0], "meta l4proto tcp ct status dnat ct original proto-dst 8080 drop");
  assert.equal(handleCount(prod, BR), 8);
  const moved = { ...prod, vars: { ...prod.vars, ports: { https: 9443, dashboard: 9080 } } };
  assert.match(chains(moved, BR)[1].rules[0], /proto-dst 9080 drop$/, "the port we publish");
  assert.match(chains(moved, BR)[0].rules[0], /dport 9080 drop$/);
});

Deno.test("a bridge name that is not an interface name never reaches the file", () => {
  for (const bad of ['br-x" accept; #', "", "a-much-too-long-bridge-name"]) {
    assert.throws(() => rulesetFile(qual, bad), /not an interface name/);
  }
});

Deno.test("the unit: loaded at boot and after docker, firewalld, nftables (re)start and nftables reload", () => {
  const u = unitFile(false);
  assert.match(u, /^After=docker\.service firewalld\.service nftables\.service$/m);
  assert.match(u, /^PartOf=docker\.service firewalld\.service nftables\.service$/m);
  assert.match(u, /^ReloadPropagatedFrom=nftables\.service$/m);
  assert.match(u, /^ExecStart=\/usr\/sbin\/nft -f \/etc\/isa-monitoring-firewall\.nft$/m);
  assert.match(u, /^ExecReload=\/usr\/sbin\/nft -f \/etc\/isa-monitoring-firewall\.nft$/m);
  assert.match(u, /^WantedBy=multi-user\.target docker\.service firewalld\.service nftables\.service$/m);
  assert.doesNotMatch(u, /ExecStop/, "stopping the unit (firewalld or docker stopping) keeps the table");
  // Beside firewalld, which conflicts with nftables.service: not part of it, or a firewalld restart's
  // stop of nftables.service would meet our restart in one transaction, which systemd refuses.
  const f = unitFile(true);
  assert.match(f, /^PartOf=docker\.service firewalld\.service$/m);
  assert.doesNotMatch(f, /ReloadPropagatedFrom/);
  assert.equal(
    f.replace(/^PartOf=.*\n/m, "").replace(/^ReloadPropagatedFrom=.*\n/m, ""),
    u.replace(/^PartOf=.*\n/m, "").replace(/^ReloadPropagatedFrom=.*\n/m, ""),
  );
});

Deno.test("probe parsing: handles, files, enabled, former parts", () => {
  const s = sections(
    "@@handles\n9\n@@ruleset\nx\n@@unit\ny\n@@enabled\nenabled\n@@legacy\nchain\nwatch-unit\n@@end\n",
  );
  assert.deepEqual(parseProbe(s), {
    handles: 9,
    ruleset: "x\n",
    unit: "y\n",
    enabled: true,
    legacy: ["chain", "watch-unit"],
  });
  assert.deepEqual(parseProbe(sections("@@handles\n0\n@@legacy\n@@end\n")), {
    handles: 0,
    ruleset: null,
    unit: null,
    enabled: false,
    legacy: [],
  });
});

/** RHEL 9 facts with Docker running and our network (ID deadbeef0123…, no bridge.name option). */
async function runningFacts(firewall = "iptables\nnftables\nfirewalld"): Promise<Facts> {
  let text = await Deno.readTextFile(join(fixtures, "rhel9-fresh.probe"));
  const replace: Record<string, string> = {
    "docker-info": `{"ServerVersion":"27.0.3"}`,
    "docker-installed": "/usr/bin/dockerd",
    "docker-networks":
      `[{"Name":"isa-monitoring","Id":"deadbeef0123456789","IPAM":{"Config":[{"Subnet":"172.18.0.0/16"}]}},` +
      `{"Name":"bridge","Id":"feedface00000000","Options":{"com.docker.network.bridge.name":"docker0"}}]`,
    firewall,
  };
  for (const [section, body] of Object.entries(replace)) {
    text = text.replace(new RegExp(`^@@${section}\\n(?:(?!@@).*\\n)*`, "m"), `@@${section}\n${body}\n`);
  }
  return parseFacts(text);
}

function probed(body: string) {
  return { ...blankProbed(), sections: sections(body) };
}

async function plan(facts: Facts, host: Host, body: string, check = false) {
  const ctx = fakeContext(facts, host, [], probed(body));
  ctx.opts = { ...ctx.opts, check };
  const changes = await firewallStep.plan(ctx);
  return { ctx, changes, summaries: changes.map((c) => c.summary) };
}

Deno.test("the bridge comes from Docker's network: its bridge.name option, else br- and 12 characters of its ID", async () => {
  const f = await runningFacts();
  assert.deepEqual(f.docker.networkBridges, { "isa-monitoring": "br-deadbeef0123", bridge: "docker0" });
});

Deno.test("migration: a host of the previous version gets the table first, then loses chain, jump and watcher", async () => {
  const facts = await runningFacts();
  const host = await qualHost();
  const old = "@@handles\n0\n@@ruleset\n@@unit\nold unit\n@@enabled\nenabled\n" +
    "@@legacy\nchain\nwatch-unit\nwatch-script\nscript\n@@end\n";
  const { ctx, changes, summaries } = await plan(facts, host, old);
  assert.deepEqual(summaries, [
    "create /etc/isa-monitoring-firewall.nft",
    "update /etc/systemd/system/isa-monitoring-firewall.service",
    "enable isa-monitoring-firewall.service (the table is loaded at boot and after docker, firewalld, nftables restarts)",
    "load nftables table inet isa_monitoring (8443 open, 8080 open; br-deadbeef0123 reachable only as published)",
    "remove what earlier versions installed: chain, watch-unit, watch-script, script " +
    "(iptables chain ISA-MONITORING in DOCKER-USER, firewalld watcher)",
  ]);
  for (const c of changes) await applyChange(ctx.ssh, c);
  assert.deepEqual(ctx.scripts, [
    // The candidate is checked by nft, then renamed over the file.
    "nft -c -f /etc/.isa-monitoring-firewall.nft.candidate",
    "mv -f /etc/.isa-monitoring-firewall.nft.candidate /etc/isa-monitoring-firewall.nft",
    // The unit file is written (writeFile, not a script); `enable` reloads systemd's configuration.
    "systemctl enable isa-monitoring-firewall.service",
    "nft -f /etc/isa-monitoring-firewall.nft && systemctl start isa-monitoring-firewall.service",
    `systemctl disable --now isa-monitoring-firewalld-watch.service >/dev/null 2>&1 || true
rm -f /etc/systemd/system/isa-monitoring-firewalld-watch.service /usr/local/sbin/isa-monitoring-firewalld-watch /usr/local/sbin/isa-monitoring-firewall; systemctl daemon-reload
if command -v iptables >/dev/null 2>&1; then
  while iptables -w -D DOCKER-USER -j ISA-MONITORING 2>/dev/null; do :; done
  iptables -w -F ISA-MONITORING 2>/dev/null || true; iptables -w -X ISA-MONITORING 2>/dev/null || true
fi`,
  ]);

  // The next run: everything in place, nothing to do.
  const done = `@@handles\n${handleCount(host, "br-deadbeef0123")}\n@@ruleset\n${
    rulesetFile(host, "br-deadbeef0123")
  }@@unit\n${unitFile(facts.firewall.firewalld)}@@enabled\nenabled\n@@legacy\n@@end\n`;
  assert.deepEqual((await plan(facts, host, done)).summaries, [], "a second run changes nothing");

  // Someone flushed the ruleset (`nft flush ruleset`, nftables.service): the table is loaded again.
  const flushed = done.replace(/@@handles\n\d+/, "@@handles\n0");
  assert.deepEqual((await plan(facts, host, flushed)).summaries, [
    "load nftables table inet isa_monitoring (8443 open, 8080 open; br-deadbeef0123 reachable only as published)",
  ]);
});

Deno.test("a rejected candidate is dropped and nothing is loaded", async () => {
  const facts = await runningFacts();
  const host = await qualHost();
  const ctx = fakeContext(facts, host, [], probed("@@handles\n0\n@@legacy\n@@end\n"));
  ctx.opts = { ...ctx.opts, check: false };
  const run = ctx.ssh.run.bind(ctx.ssh);
  ctx.ssh.run = (script: string, opts?: object) => {
    if (script.startsWith("nft -c")) {
      ctx.scripts.push(script);
      return Promise.reject(new Error("Error: syntax error"));
    }
    return run(script, opts as never);
  };
  const changes = await firewallStep.plan(ctx);
  await assert.rejects(applyChange(ctx.ssh, changes[0]), /syntax error/);
  assert.deepEqual(ctx.scripts, [
    "nft -c -f /etc/.isa-monitoring-firewall.nft.candidate",
    "rm -f /etc/.isa-monitoring-firewall.nft.candidate",
  ]);
});

Deno.test("no nft: one facts line, and the step refuses before any change", async () => {
  const facts = await runningFacts("iptables\nfirewalld");
  const text = factsReport(facts, (await qualHost()).vars, new Map()).join("\n");
  assert.match(text, /^firewall: firewalld active; iptables; persistence none$/m);
  assert.equal(text.split("\n").filter((l) => l.includes("nft")).length, 1);
  assert.match(
    text,
    /^nft: MISSING: nft is not installed: the firewall step loads our rules as an nftables table/m,
  );
  const ctx = fakeContext(facts, await qualHost(), [], probed("@@end\n"));
  ctx.opts = { ...ctx.opts, check: false };
  await assert.rejects(async () => await firewallStep.plan(ctx), (e: Error) => e.message === NFT_MISSING);
  assert.deepEqual(ctx.scripts, []);
  const present = factsReport(await runningFacts(), (await qualHost()).vars, new Map()).join("\n");
  assert.doesNotMatch(present, /MISSING/);
});

Deno.test("no network yet: check mode plans the table; a real run refuses, naming the docker step", async () => {
  let text = await Deno.readTextFile(join(fixtures, "rhel9-fresh.probe"));
  text = text.replace(/^@@docker-networks\n(?:(?!@@).*\n)*/m, "@@docker-networks\n\n");
  const fresh = parseFacts(text);
  const host = await qualHost();
  const checked = await plan(fresh, host, "@@end\n", true);
  assert.deepEqual(checked.summaries, [
    "write /etc/isa-monitoring-firewall.nft for the bridge of network isa-monitoring (created by the docker step); " +
    "load table inet isa_monitoring; enable isa-monitoring-firewall.service",
  ]);
  await assert.rejects(plan(fresh, host, "@@end\n", false), /run the docker step first/);
});

Deno.test("uninstall: the table, unit and file, and the former chain and watcher when present", async () => {
  const facts = await runningFacts();
  const host = await qualHost();
  const ctx = fakeContext(facts, host, [{ match: /echo table/, stdout: "table\nunit\nruleset\nchain\n" }]);
  const [change] = await removeFirewallStep.plan(ctx);
  assert.equal(
    change.summary,
    "remove nftables table inet isa_monitoring, isa-monitoring-firewall.service and its file; " +
      "the former iptables chain ISA-MONITORING and firewalld watcher",
  );
  assert.match(change.command!.script, /^if command -v nft .*; then nft delete table inet isa_monitoring/m);
  const none = fakeContext(facts, host, [{ match: /echo table/, stdout: "" }]);
  assert.deepEqual(await removeFirewallStep.plan(none), [], "nothing of ours: nothing to do");
});
