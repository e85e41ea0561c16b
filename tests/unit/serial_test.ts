import * as assert from "node:assert/strict";
import { batches, parseSerial, runSerial, serialSize } from "../../lib/fleet/serial.ts";
import { exitCode, type HostReport } from "../../lib/engine/report.ts";
import { inventoryPath, loadInventory } from "../../lib/inventory/load.ts";

const report = (host: string, status: HostReport["status"]): HostReport => ({
  host,
  status,
  steps: [],
  seconds: 0,
});

Deno.test("serial: batches of N in inventory order; 0 or unset in quality means all at once", () => {
  assert.deepEqual(batches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  assert.deepEqual(batches([1, 2], 5), [[1, 2]]);
  assert.equal(serialSize(undefined, { deployment: "qual" }, 7), 7);
  assert.equal(serialSize(undefined, { deployment: "prod" }, 7), 1);
  assert.equal(serialSize(undefined, { deployment: "qual", serial: 3 }, 7), 3);
  assert.equal(serialSize(2, { deployment: "prod", serial: 1 }, 7), 2);
  assert.equal(serialSize(0, { deployment: "prod" }, 7), 7);
  assert.equal(parseSerial(undefined), undefined);
  assert.equal(parseSerial("3"), 3);
  assert.throws(() => parseSerial("-1"), /whole number/);
  assert.throws(() => parseSerial("two"), /whole number/);
});

Deno.test("serial: a failed host stops the rollout before the next batch; later hosts not started", async () => {
  const hosts = ["a", "b", "c", "d", "e"].map((name) => ({ name }));
  const ran: string[][] = [];
  const reports = await runSerial(hosts, 2, (batch) => {
    ran.push(batch.map((h) => h.name));
    return Promise.resolve(batch.map((h) => report(h.name, h.name === "c" ? "failed" : "changed")));
  });
  assert.deepEqual(ran, [["a", "b"], ["c", "d"]]);
  assert.deepEqual(reports.map((r) => [r.host, r.status]), [
    ["a", "changed"],
    ["b", "changed"],
    ["c", "failed"],
    ["d", "changed"],
    ["e", "not started"],
  ]);
  assert.match(reports[4].error!, /not started: c failed/);
  assert.equal(exitCode(reports), 2);
  // An unreachable host stops it too; no failure: every batch runs.
  const r2 = await runSerial(
    hosts,
    1,
    (b) => Promise.resolve(b.map((h) => report(h.name, h.name === "a" ? "unreachable" : "ok"))),
  );
  assert.deepEqual(r2.filter((r) => r.status === "not started").map((r) => r.host), ["b", "c", "d", "e"]);
  assert.equal(exitCode(r2), 4);
  const r3 = await runSerial(hosts, 1, (b) => Promise.resolve(b.map((h) => report(h.name, "ok"))));
  assert.equal(r3.filter((r) => r.status === "not started").length, 0);
});

Deno.test("serial: the production inventory defaults to one host at a time; a bad value is refused", async () => {
  const prod = await loadInventory(inventoryPath({ prod: true }));
  assert.equal(prod.serial, 1);
  assert.equal((await loadInventory(inventoryPath({ prod: false }))).serial, null);
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/inv.yml`;
    await Deno.writeTextFile(file, "deployment: qual\nserial: -2\nhosts:\n  web1:\n");
    await assert.rejects(loadInventory(file), /serial/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
