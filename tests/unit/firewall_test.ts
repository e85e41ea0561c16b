import assert from "node:assert/strict";
import { chainRules, firewallScript } from "../../lib/render/firewall.ts";
import { inventoryPath, loadInventory } from "../../lib/inventory/load.ts";
import { sections } from "../../lib/base/probe_sections.ts";
import { parseProbe } from "../../lib/steps/firewall_probe.ts";

const qual = (await loadInventory(inventoryPath({ prod: false }))).hosts[0];
const prod = (await loadInventory(inventoryPath({ prod: true }))).hosts[0];

Deno.test("production drops the dashboard port by its original destination; quality does not", () => {
  assert.deepEqual(chainRules(prod), [
    "-p tcp -m conntrack --ctstate DNAT --ctorigdstport 8080 -m comment --comment isa-monitoring -j DROP",
    "-m comment --comment isa-monitoring -j RETURN",
  ]);
  assert.deepEqual(chainRules(qual), ["-m comment --comment isa-monitoring -j RETURN"]);
  const s = firewallScript(prod);
  assert.match(s, /iptables-restore -w --noflush/);
  assert.match(
    s,
    /while iptables -w -D DOCKER-USER -j ISA-MONITORING/,
    "old jumps are removed before one is inserted",
  );
  assert.doesNotMatch(s, /--dport 22|INPUT/, "never touches SSH or INPUT");
});

Deno.test("probe parsing: rules, single first jump, unit enabled", () => {
  const ok = sections(
    "@@rules\nrule-ok\nrule-ok\n@@count\n2\n@@jumps\n2:-A DOCKER-USER -j ISA-MONITORING\n@@script\nx\n@@unit\ny\n@@enabled\nenabled\n@@end\n",
  );
  assert.deepEqual(parseProbe(ok, prod), {
    rulesOk: true,
    jumpOk: true,
    script: "x\n",
    unit: "y\n",
    enabled: true,
  });
  const dup = sections(
    "@@rules\nrule-ok\n@@count\n2\n@@jumps\n2:-A DOCKER-USER -j ISA-MONITORING\n3:-A DOCKER-USER -j ISA-MONITORING\n@@end\n",
  );
  const st = parseProbe(dup, qual);
  assert.equal(st.rulesOk, false, "an extra rule in the chain is drift");
  assert.equal(st.jumpOk, false, "two jumps is drift");
  assert.equal(st.script, null);
});

Deno.test("only connections DNAT-ed to a published port match: outbound and container-to-container traffic don't", () => {
  for (const r of chainRules(prod).filter((r) => r.includes("-j DROP"))) {
    assert.match(r, /--ctstate DNAT --ctorigdstport \d+ /, `${r}: only published ports`);
    assert.doesNotMatch(r, /--ctstate [A-Z,]*NEW/);
  }
});

Deno.test("allowed_sources: 8443 returns for each listed CIDR, then drops; other ports untouched", () => {
  const h = {
    ...prod,
    vars: { ...prod.vars, allowed_sources: ["192.0.2.0/24", "198.51.100.7", "192.0.2.0/24"] },
  };
  const tag = "-m comment --comment isa-monitoring";
  assert.deepEqual(chainRules(h), [
    `-p tcp -m conntrack --ctstate DNAT --ctorigdstport 8080 ${tag} -j DROP`,
    `-p tcp -m conntrack --ctstate DNAT --ctorigsrc 192.0.2.0/24 --ctorigdstport 8443 ${tag} -j RETURN`,
    `-p tcp -m conntrack --ctstate DNAT --ctorigsrc 198.51.100.7 --ctorigdstport 8443 ${tag} -j RETURN`,
    `-p tcp -m conntrack --ctstate DNAT --ctorigdstport 8443 ${tag} -j DROP`,
    `${tag} -j RETURN`,
  ]);
  const q = {
    ...qual,
    vars: { ...qual.vars, ports: { https: 9443, dashboard: 8080 }, allowed_sources: ["10.0.0.0/8"] },
  };
  assert.deepEqual(
    chainRules(q).filter((r) => r.includes("8080")),
    [],
    "quality's dashboard port stays open",
  );
  assert.ok(
    chainRules(q).some((r) => r.includes("--ctorigdstport 9443") && r.endsWith("-j DROP")),
    "the port we publish",
  );
  // The probe checks every rule and the count: a changed list is drift, re-applied.
  const probe = sections(
    "@@rules\nrule-ok\nrule-ok\n@@count\n2\n@@jumps\n2:-A DOCKER-USER -j ISA-MONITORING\n@@end\n",
  );
  assert.equal(parseProbe(probe, h).rulesOk, false);
});
