import assert from "node:assert/strict";
import { chainRules, firewallScript, parseProbe } from "../../lib/render/firewall.ts";
import { sections } from "../../lib/facts/probe.ts";
import { inventoryPath, loadInventory } from "../../lib/inventory/load.ts";

const qual = (await loadInventory(inventoryPath({ prod: false }))).hosts[0];
const prod = (await loadInventory(inventoryPath({ prod: true }))).hosts[0];

Deno.test("production drops the dashboard port by its original destination; quality does not", () => {
  assert.deepEqual(chainRules(prod), [
    "-p tcp -m conntrack --ctstate NEW --ctorigdstport 8080 -m comment --comment isa-monitoring -j DROP",
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
