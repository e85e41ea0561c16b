import assert from "node:assert/strict";
import { parse } from "yaml";
import {
  hostFlavour,
  hostName,
  isLightHost,
  labFiles,
  LIGHT,
  lightHostName,
  lightNumberOf,
  loopbackAddress,
  NETWORK,
  networkAddress,
  recipeDir,
} from "../../lib/lab/layout.ts";
import { knownHostsText, lightSshConfigText, sshArgs } from "../../lib/lab/ssh.ts";
import { lightInventoryText } from "../../lib/lab/inventory.ts";
import { hostImageRef } from "../../lib/lab/host_image.ts";

const images = {
  apache_exporter: "isa-lab/apache-exporter:x",
  prometheus: "isa-lab/prometheus:y",
  prometheus_oldest: "quay.io/prometheus/prometheus:v2.53.3",
};

Deno.test("light hosts: isalightNN on 127.0.11.N and 10.209.11.N, flavour light", () => {
  assert.deepEqual([1, 7, 50].map(lightHostName), ["isalight01", "isalight07", "isalight50"]);
  assert.equal(lightNumberOf("isalight07"), 7);
  assert.equal(loopbackAddress("isalight07"), "127.0.11.7");
  assert.equal(networkAddress("isalight50"), "10.209.11.50");
  assert.equal(hostFlavour("isalight03"), "light");
  assert.match(recipeDir("light"), /\/files\/lab\/host-light$/);
  assert.throws(() => lightHostName(0));
  assert.throws(() => lightHostName(LIGHT.max + 1));
  assert.throws(() => lightNumberOf("isaqal09"), /not a light lab host/);
});

Deno.test("light hosts never take a normal host's name or address, nor the gateway", () => {
  const light = Array.from({ length: LIGHT.max }, (_, i) => lightHostName(i + 1));
  const normal = Array.from({ length: 200 }, (_, i) => hostName(i + 1));
  assert.ok(light.every(isLightHost) && !normal.some(isLightHost));
  const lightAddrs = new Set(light.flatMap((n) => [loopbackAddress(n), networkAddress(n)]));
  assert.equal(lightAddrs.size, 2 * LIGHT.max, "every light host has its own addresses");
  for (const n of normal) {
    assert.ok(!lightAddrs.has(loopbackAddress(n)) && !lightAddrs.has(networkAddress(n)), n);
  }
  assert.ok(!lightAddrs.has(LIGHT.network.gateway));
  assert.notEqual(LIGHT.network.subnet, NETWORK.subnet);
  // Every light host's network address lies in its subnet (a /24 whose first three octets it shares).
  const prefix = LIGHT.network.subnet.replace(/\.0\/24$/, ".");
  assert.ok(light.every((n) => networkAddress(n).startsWith(prefix)));
});

Deno.test("light_ssh_config and light_known_hosts: root on the loopback address, the lab's key, pinned", () => {
  const cfg = lightSshConfigText(["isalight01", "isalight02"]);
  assert.match(cfg, /\nHost isalight02\n {2}HostName 127\.0\.11\.2\n {2}Port 22\n {2}User root\n/);
  assert.ok(cfg.includes(`  IdentityFile ${labFiles.clientKey}\n`));
  assert.ok(cfg.includes(`  UserKnownHostsFile ${labFiles.lightKnownHosts}\n`));
  assert.doesNotMatch(cfg, /isaqal|bastion/);
  assert.equal(cfg.match(/StrictHostKeyChecking yes/g)?.length, 2);
  const kh = knownHostsText([{ name: "isalight02", publicKey: "ssh-ed25519 AAAAlight c" }]);
  assert.equal(kh, "127.0.11.2,[127.0.11.2]:22,10.209.11.2 ssh-ed25519 AAAAlight\n");
  assert.deepEqual(sshArgs("isalight02").slice(0, 2), ["-F", labFiles.lightSshConfig]);
  assert.deepEqual(sshArgs("isaqal09").slice(0, 2), ["-F", labFiles.sshConfig]);
});

Deno.test("light inventory: quality deployment, light_ssh_config, the lab's secrets, group light", () => {
  const inv = parse(lightInventoryText(["isalight01", "isalight02"], images));
  assert.equal(inv.deployment, "qual");
  assert.equal(inv.ssh_config, "light_ssh_config");
  assert.equal(inv.secrets.file, "secrets.yml");
  assert.deepEqual(inv.groups, { light: { hosts: ["isalight01", "isalight02"] } });
  assert.equal(inv.hosts.isalight02.address, "isalight02");
  assert.equal(inv.hosts.isalight02.vars.public_address, "127.0.11.2");
  assert.equal(inv.vars.images.prometheus, images.prometheus);
});

Deno.test("the light image has its own repository and tag", async () => {
  const light = await hostImageRef("light");
  assert.match(light, /^isa-lab\/host-light:[0-9a-f]{12}$/);
  assert.notEqual(light.split(":")[1], (await hostImageRef("debian")).split(":")[1]);
});
