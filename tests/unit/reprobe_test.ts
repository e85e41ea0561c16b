/**
 * The runner probes a host again before a step only when the previous step's last change left the facts
 * stale: a change whose apply probed again itself (the engine's start, the network, the account) is not
 * followed by a second probe.
 */
import assert from "node:assert/strict";
import { planAndApply } from "../../lib/fleet/runner.ts";
import { parseFacts } from "../../lib/facts/probe.ts";
import type { HostReport } from "../../lib/engine/report.ts";
import type { Change } from "../../lib/engine/change.ts";
import type { Step } from "../../lib/steps/step.ts";
import { fakeContext, qualHost } from "../helpers/fake_host.ts";

Deno.test("a step after a change that probed again plans from that probe; after any other change, the host is probed again", async () => {
  const host = await qualHost();
  const ctx = fakeContext(parseFacts(""), host);
  ctx.opts = { ...ctx.opts, check: false, json: true };
  const probesBy: string[] = [];
  let current = "";
  ctx.refreshFacts = () => {
    probesBy.push(current);
    ctx.probes++;
    return Promise.resolve();
  };
  // The probe each step planned from (ctx.probes when it planned).
  const planned: Record<string, number> = {};
  const step = (id: string, changes: (() => Change)[]): Step => ({
    id,
    plan: () => {
      planned[id] = ctx.probes;
      return Promise.resolve(changes.map((c) => c()));
    },
  });
  const reprobing = (): Change => ({ summary: "start", apply: () => ctx.refreshFacts() });
  const writing = (): Change => ({ summary: "write", apply: () => Promise.resolve() });
  const steps = [
    step("docker", [writing, reprobing]), // its last change probed again
    step("account", [reprobing, writing]), // its last change wrote after the probe
    step("firewall", [writing]),
    step("apache", []),
    step("exporter", []),
  ];
  const report: HostReport = { host: host.name, status: "ok", steps: [], seconds: 0 };
  await planAndApply(ctx, steps, report, (id) => (current = id));
  assert.equal(report.status, "changed");
  assert.deepEqual(probesBy, ["docker", "account", "firewall", "apache"]);
  assert.deepEqual(planned, { docker: 1, account: 2, firewall: 4, apache: 5, exporter: 5 });
});
