/** Issue 24, item 6: the exporter scrapes Apache at our own network's gateway, not docker0's. */
import assert from "node:assert/strict";
import { parseFacts } from "../../lib/facts/probe.ts";
import { exporterSpec } from "../../lib/containers/builders.ts";
import { qualHost } from "../helpers/fake_host.ts";

/** The engine's `GET /networks` as the probe prints it: the default bridge and ours, or ours alone. */
const networks = (withBridge: boolean) =>
  JSON.stringify([
    ...(withBridge
      ? [{
        Name: "bridge",
        Driver: "bridge",
        IPAM: { Config: [{ Subnet: "172.17.0.0/16", Gateway: "172.17.0.1" }] },
      }]
      : []),
    {
      Name: "isa-monitoring",
      Driver: "bridge",
      IPAM: { Config: [{ Subnet: "172.18.0.0/16", Gateway: "172.18.0.1" }] },
    },
  ]);

Deno.test("the scrape URI is our network's gateway, with or without docker0", async () => {
  const host = await qualHost();
  for (const withBridge of [true, false]) {
    const facts = parseFacts(`@@docker-networks\n${networks(withBridge)}\n@@end\n`);
    assert.deepEqual(facts.docker.networkGateways["isa-monitoring"], ["172.18.0.1"]);
    // `"bridge": "none"` in daemon.json: no docker0, and the deploy still knows where Apache is.
    assert.deepEqual(exporterSpec(host, facts).create.Cmd, [
      "--scrape_uri=http://172.18.0.1/server-status?auto",
    ]);
  }
  const none = parseFacts(`@@docker-networks\n[]\n@@end\n`);
  assert.throws(() => exporterSpec(host, none), /no IPv4 gateway for Docker network isa-monitoring/);
});
