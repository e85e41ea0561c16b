import assert from "node:assert/strict";
import { parseFacts } from "../../lib/facts/probe.ts";
import { inventoryPath, loadInventory } from "../../lib/inventory/load.ts";
import { apacheStep } from "../../lib/steps/apache.ts";
import { ourSubnet } from "../../lib/steps/docker.ts";
import type { HostContext } from "../../lib/steps/step.ts";
import type { Facts } from "../../lib/facts/facts.ts";
import type { Host } from "../../lib/inventory/host.ts";

const host = (await loadInventory(inventoryPath({ prod: false }))).hosts[0];

/** Facts of a Debian host whose engine has the default bridge, our network and another application's. */
function facts(ours: string | null): Facts {
  const nets = [
    { Name: "bridge", Subnet: "172.17.0.0/16" },
    { Name: "other-app", Subnet: "172.19.0.0/16" },
    ...(ours ? [{ Name: host.vars.docker_network, Subnet: ours }] : []),
  ].map((n) => ({
    Name: n.Name,
    IPAM: { Config: [{ Subnet: n.Subnet, Gateway: n.Subnet.replace(/0\/16$/, "1") }] },
  }));
  return parseFacts(`@@os-release
ID=debian
VERSION_ID="12"
@@apache-binary
/usr/sbin/apache2
@@apache-v
Server version: Apache/2.4.62 (Debian)
@@apache-t
Loaded Modules:
 authz_core_module (shared)
 status_module (shared)
@@apache-configtest
Syntax OK
@@docker-version
{"Version":"26.1.5"}
@@docker-installed
/usr/sbin/dockerd
@@docker-networks
${JSON.stringify(nets)}
@@end
`);
}

function ctx(h: Host, f: Facts): HostContext {
  return { host: h, facts: f, ssh: {}, opts: { check: false } } as unknown as HostContext;
}

Deno.test("/server-status: localhost and our network's subnet only, not other applications' networks", async () => {
  const f = facts("172.18.0.0/16");
  assert.deepEqual(f.docker.networkSubnets[host.vars.docker_network], ["172.18.0.0/16"]);
  assert.equal(ourSubnet(host.vars, f), "172.18.0.0/16");
  const [change] = await apacheStep.plan(ctx(host, f));
  const requires = change.diff!.split("\n").filter((l) => /^\+\s*Require /.test(l)).map((l) =>
    l.slice(1).trim()
  );
  assert.deepEqual(requires, ["Require local", "Require ip 172.18.0.0/16"]);
});

Deno.test("docker_subnet fixes the subnet before the network exists; an unknown subnet is an error", async () => {
  const fixed = { ...host, vars: { ...host.vars, docker_subnet: "172.30.99.0/24" } };
  assert.equal(ourSubnet(fixed.vars, facts(null)), "172.30.99.0/24");
  const [change] = await apacheStep.plan(ctx(fixed, facts(null)));
  assert.match(change.diff!, /^\+\s*Require ip 172\.30\.99\.0\/24$/m);
  assert.doesNotMatch(change.diff!, /172\.17|172\.19/);
  await assert.rejects(
    async () => await apacheStep.plan(ctx(host, facts(null))),
    /does not exist yet, so its subnet is unknown/,
  );
});
