import assert from "node:assert/strict";
import { exitCode, type HostReport, recapCounts } from "../../lib/engine/report.ts";
import { type HostStatus, statusOutcome } from "../../lib/status/task.ts";

const host = (status: HostReport["status"], steps: HostReport["steps"] = []): HostReport => ({
  host: "h",
  status,
  steps,
  seconds: 1,
});

Deno.test("exit codes: 0 all good, 2 a host failed, 4 unreachable, 6 both", () => {
  assert.equal(exitCode([host("ok"), host("changed")]), 0);
  assert.equal(exitCode([host("ok"), host("failed")]), 2);
  assert.equal(exitCode([host("unreachable"), host("ok")]), 4);
  assert.equal(exitCode([host("unreachable"), host("failed")]), 6);
  assert.equal(exitCode([]), 0);
});

Deno.test("exit codes: a failure outside any host (grafana's API) counts as failed", () => {
  assert.equal(exitCode([host("ok")], true), 2);
  assert.equal(exitCode([host("changed")], false), 0);
  assert.equal(exitCode([host("unreachable")], true), 6);
  assert.equal(exitCode([], true), 2);
});

Deno.test("status: an unreachable host and a failed one give 6, as for every other task", () => {
  const s = (status: HostStatus["status"]): Pick<HostStatus, "status"> => ({ status });
  const code = (...hosts: Pick<HostStatus, "status">[]) =>
    exitCode(hosts.map((h) => ({ status: statusOutcome(h) })));
  assert.equal(code(s("ok"), s("ok")), 0);
  // Drift says a deployed file changed by hand (issue 15: "the exit code says so").
  assert.equal(code(s("ok"), s("drift")), 2);
  assert.equal(code(s("ok"), s("attention")), 2);
  assert.equal(code(s("unreachable"), s("ok")), 4);
  assert.equal(code(s("unreachable"), s("attention")), 6);
});

Deno.test("recap counts steps by outcome, as Ansible's PLAY RECAP does", () => {
  const r = host("failed", [
    { step: "facts", status: "ok", changes: [], seconds: 0 },
    { step: "docker", status: "changed", changes: [{ summary: "install docker.io" }], seconds: 1 },
    { step: "apache", status: "failed", changes: [], error: "boom", seconds: 0 },
  ]);
  assert.deepEqual(recapCounts(r), { ok: 1, changed: 1, failed: 1, unreachable: 0 });
  assert.deepEqual(recapCounts(host("unreachable")), { ok: 0, changed: 0, failed: 0, unreachable: 1 });
});
