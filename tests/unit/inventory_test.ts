import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../../lib/engine/errors.ts";
import { inventoryPath, loadInventory, projectRoot } from "../../lib/inventory/load.ts";
import { selectHosts } from "../../lib/inventory/limit.ts";

async function withInventory(text: string, fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "inv.yml");
  await Deno.writeTextFile(file, text);
  try {
    await fn(file);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function rejects(text: string, pattern: RegExp): Promise<void> {
  await withInventory(text, async (file) => {
    await assert.rejects(loadInventory(file), (e: Error) => {
      assert.ok(e instanceof UsageError, `expected UsageError, got ${e}`);
      assert.match(e.message, pattern);
      assert.ok(e.message.startsWith(file + ":"), `message names the file: ${e.message}`);
      return true;
    });
  });
}

Deno.test("the shipped inventories load with defaults merged", async () => {
  const qual = await loadInventory(inventoryPath({ prod: false }));
  assert.deepEqual(qual.hosts.map((h) => h.name), ["isaqal09", "isaqal10"]);
  assert.equal(qual.hosts[0].vars.dashboard, true);
  assert.equal(qual.hosts[0].vars.install_dir, "/srv/isa");
  assert.equal(qual.hosts[0].vars.fqdn, "isaqal09.epfl.ch");
  const prod = await loadInventory(inventoryPath({ prod: true }));
  assert.deepEqual(prod.hosts.map((h) => h.name), ["isaprd09", "isaprd10", "isaprd11"]);
  assert.ok(prod.hosts.every((h) => h.vars.dashboard === false && h.deployment === "prod"));
  assert.equal(inventoryPath({ prod: false, inventory: "lab" }), join(projectRoot, ".lab", "inventory.yml"));
});

Deno.test("group and host vars override defaults, nested keys merge", async () => {
  await withInventory(
    `deployment: qual
vars:
  retention_time: 30d
groups:
  big:
    hosts: [a]
    vars:
      limits: { prometheus: { memory_mb: 1024, cpus: 2 } }
hosts:
  a:
    vars:
      images: { prometheus: "prom/prometheus:v3.5.1" }
  b:
    address: b.example.org
    user: deploy
    port: 2222
    jump: bastion.example.org
`,
    async (file) => {
      const inv = await loadInventory(file);
      const [a, b] = inv.hosts;
      assert.equal(a.vars.retention_time, "30d");
      assert.equal(a.vars.limits.prometheus.memory_mb, 1024);
      assert.equal(a.vars.limits.traefik.memory_mb, 128, "sibling keys keep their defaults");
      assert.equal(a.vars.images.prometheus, "prom/prometheus:v3.5.1");
      assert.equal(a.vars.images.traefik, "docker.io/library/traefik:v3.7.11");
      assert.equal(b.vars.limits.prometheus.memory_mb, 512);
      assert.deepEqual(b.ssh, {
        address: "b.example.org",
        user: "deploy",
        port: 2222,
        jump: "bastion.example.org",
        configFile: undefined,
      });
      assert.deepEqual(a.groups, ["big", "qual"]);
      assert.equal(b.pos.line, 13);
    },
  );
});

Deno.test("unknown key, wrong type, bad YAML, duplicates, empty file: file:line:column", async () => {
  await rejects(
    "deployment: qual\nhosts:\n  a:\n    vars:\n      retension_time: 3d\n",
    /:5:7: unknown key 'retension_time'/,
  );
  await rejects(
    "deployment: qual\nhosts:\n  a:\n    port: eighty\n",
    /:4:11: hosts\.a\.port must be a whole number/,
  );
  await rejects("deployment: staging\nhosts: {a: }\n", /:1:13: .*one of qual, prod/);
  await rejects("deployment: qual\nhosts:\n  a: [\n", /invalid YAML/);
  await rejects("deployment: qual\nhosts:\n  a:\n  a:\n", /:\d+:\d+: invalid YAML: Map keys must be unique/);
  await rejects("", /:1:1: the inventory is empty/);
  await rejects(
    "deployment: qual\nvars:\n  images:\n    prometheus: prom/prometheus:latest\nhosts: {a: }\n",
    /pinned image/,
  );
  await rejects(
    "deployment: qual\nhosts: {a: }\ngroups:\n  g:\n    hosts: [zz]\n",
    /:5:13: group 'g' names unknown host 'zz'/,
  );
});

Deno.test("a host in two groups with conflicting values is refused, naming both", async () => {
  await rejects(
    `deployment: qual
hosts: {a: }
groups:
  one: { hosts: [a], vars: { retention_time: 10d } }
  two: { hosts: [a], vars: { retention_time: 20d } }
`,
    /conflicting values for retention_time from groups 'one' \(.*:4:\d+\) and 'two'/,
  );
});

Deno.test("limit patterns: host, group, comma, glob, exclusion, intersection", async () => {
  await withInventory(
    `deployment: qual
hosts: {isaqal09: , isaqal10: , isaqal11: }
groups:
  web: { hosts: [isaqal09, isaqal10] }
  new: { hosts: [isaqal10, isaqal11] }
`,
    async (file) => {
      const inv = await loadInventory(file);
      assert.deepEqual(selectHosts(inv, undefined), ["isaqal09", "isaqal10", "isaqal11"]);
      assert.deepEqual(selectHosts(inv, "isaqal09"), ["isaqal09"]);
      assert.deepEqual(selectHosts(inv, "web"), ["isaqal09", "isaqal10"]);
      assert.deepEqual(selectHosts(inv, "isaqal*,!isaqal10"), ["isaqal09", "isaqal11"]);
      assert.deepEqual(selectHosts(inv, "web,&new"), ["isaqal10"]);
      assert.deepEqual(selectHosts(inv, "!web"), ["isaqal11"]);
      assert.deepEqual(selectHosts(inv, "isaqal09,isaqal11"), ["isaqal09", "isaqal11"]);
      assert.throws(
        () => selectHosts(inv, "nosuch"),
        /matches no host or group; known hosts: isaqal09, isaqal10, isaqal11/,
      );
      assert.throws(() => selectHosts(inv, "web,&isaqal11"), /selects no host/);
    },
  );
});
