/**
 * The bench's Ansible playbook (bench/ansible/site.yml, issue 25's side-by-side) on a fresh lab host: its
 * cold run ends with no failure, its re-run changes nothing (what the bench times as Ansible's no-op), and
 * the stack it built delivers the scoreboard as ours does (`verify-metrics`). Uses isaqal09 (Debian),
 * resets it first and again at the end, so the next test finds a fresh host.
 */
import assert from "node:assert/strict";
import { ensureControllerTools } from "../../lib/lab/controller_tools.ts";
import {
  labAnsibleHosts,
  labAnsibleVars,
  recapProblem,
  runAnsible,
  syntaxCheck,
  writeAnsibleFiles,
} from "../../bench/ansible.ts";
import { cli, lab, resetHosts } from "../helpers/lab.ts";

const HOST = "isaqal09";

Deno.test("bench's Ansible playbook: a cold run, a no-op re-run, and metrics verify-metrics accepts", async () => {
  await ensureControllerTools(["ansible"], () => {});
  await resetHosts([HOST]);
  try {
    const info = await lab();
    await writeAnsibleFiles(
      labAnsibleHosts([HOST], info.images),
      await labAnsibleVars("15d", info.user, info.password),
    );
    assert.equal(await syntaxCheck(), null);

    const cold = await runAnsible(20 * 60_000, true);
    assert.equal(recapProblem(cold.recap, [HOST], false), null, cold.tail);
    assert.equal(cold.code, 0, cold.tail);
    assert.ok(cold.recap[0].changed > 10, `a cold run changes the host: ${JSON.stringify(cold.recap)}`);

    const noop = await runAnsible(10 * 60_000, false);
    assert.equal(recapProblem(noop.recap, [HOST], true), null, noop.tail);
    assert.equal(noop.code, 0, noop.tail);

    const v = await cli("verify_metrics.ts", [
      "--inventory",
      info.inventory,
      "--limit",
      HOST,
      "--wait",
      "60s",
    ]);
    assert.equal(v.code, 0, `the playbook's stack fails our verify-metrics:\n${v.stdout}${v.stderr}`);
  } finally {
    await resetHosts([HOST]);
  }
});
