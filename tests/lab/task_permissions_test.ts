/**
 * The read and write tasks on the lab under the permissions deno.json declares (not -A): deploy,
 * verify-metrics, status and top --once work as `deno task` runs them. (grafana --check runs under
 * its declared permissions in grafana_task_test.ts.)
 */
import * as assert from "node:assert/strict";
import { cli, lab } from "../helpers/lab.ts";

Deno.test("deploy, verify-metrics, status and top --once work under their declared permissions", async (t) => {
  const info = await lab();
  const inv = info.inventory;
  const run = (file: string, ...args: string[]) =>
    cli(file, ["--inventory", inv, ...args], {}, { declared: true });
  for (
    const [file, args] of [
      ["deploy.ts", []],
      ["verify_metrics.ts", ["--wait", "60s"]],
      ["status.ts", []],
      ["top.ts", ["--once"]],
    ] as const
  ) {
    await t.step(`${file} ${args.join(" ")}`, async () => {
      const r = await run(file, ...args);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout + r.stderr, /Requires \w+ access|NotCapable|PermissionDenied/);
    });
  }
});
