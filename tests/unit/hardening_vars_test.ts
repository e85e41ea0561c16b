import assert from "node:assert/strict";
import { join } from "node:path";
import { loadInventory } from "../../lib/inventory/load.ts";

async function load(vars: string) {
  const dir = await Deno.makeTempDir({ prefix: "isa-hv-" });
  const file = join(dir, "inv.yml");
  await Deno.writeTextFile(file, `deployment: qual\nhosts:\n  h1:\n    address: 192.0.2.1\nvars:\n${vars}`);
  try {
    return await loadInventory(file);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("allowed_sources and docker_subnet take IPv4 CIDRs only", async () => {
  const ok = await load("  allowed_sources: [192.0.2.0/24, 198.51.100.7]\n  docker_subnet: 172.30.99.0/24\n");
  assert.deepEqual(ok.hosts[0].vars.allowed_sources, ["192.0.2.0/24", "198.51.100.7"]);
  assert.equal(ok.hosts[0].vars.docker_subnet, "172.30.99.0/24");
  const defaults = await load("  retention_time: 15d\n");
  assert.deepEqual(defaults.hosts[0].vars.allowed_sources, [], "every source allowed unless listed");
  assert.equal(defaults.hosts[0].vars.docker_subnet, null);
  for (
    const bad of [
      "  allowed_sources: ['0.0.0.0/0 -j ACCEPT']\n",
      "  allowed_sources: ['10.0.0.0/8; reboot']\n",
      "  allowed_sources: [300.1.1.1/8]\n",
      "  allowed_sources: [10.0.0.0/33]\n",
      "  allowed_sources: ['2001:db8::/32']\n",
      "  allowed_sources: 10.0.0.0/8\n",
      "  docker_subnet: '-o evil'\n",
    ]
  ) {
    await assert.rejects(load(bad), /IPv4 CIDR|must be a list/, bad);
  }
});
