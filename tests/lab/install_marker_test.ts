/**
 * Issue 23's install-folder marker on a lab host: the deploy claims install_dir with `.isa-monitoring`;
 * `uninstall --purge` refuses a folder without it and removes nothing; the next deploy claims it again
 * (a folder holding only our prometheus/ and traefik/ is ours). Uses isaqal10 and leaves it deployed.
 */
import assert from "node:assert/strict";
import { loadInventory } from "../../lib/inventory/load.ts";
import { installPaths } from "../../lib/inventory/paths.ts";
import { cli, lab, onHost } from "../helpers/lab.ts";

const HOST = "isaqal10";

Deno.test("install_dir: marked by the deploy; purge refuses it unmarked; the next deploy marks it again", async () => {
  const info = await lab();
  const inv = info.inventory;
  const host = (await loadInventory(inv)).hosts.find((h) => h.name === HOST)!;
  const p = installPaths(host.vars);
  const deploy = () => cli("deploy.ts", ["--inventory", inv, "--limit", HOST]);

  const first = await deploy();
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.equal((await onHost(info, HOST, `stat -c '%U %a' ${p.marker}`)).out, "root 644");

  // A folder the deploy did not claim (marker gone): purge refuses it, and the data stays.
  assert.equal((await onHost(info, HOST, `rm ${p.marker}`)).code, 0);
  const purge = await cli("uninstall.ts", ["--inventory", inv, "--limit", HOST, "--purge"]);
  assert.equal(purge.code, 2, purge.stdout + purge.stderr);
  assert.match(
    purge.stdout + purge.stderr,
    /refusing to purge \/srv\/isa: it does not hold isa-monitoring's marker file/,
  );
  assert.equal((await onHost(info, HOST, `test -d ${p.prometheusData} && echo kept`)).out, "kept");

  // Only prometheus/ and traefik/ in it: ours, claimed again; then a deploy is a no-op for the marker.
  const again = await deploy();
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /mark \/srv\/isa as isa-monitoring's install folder/);
  assert.equal((await onHost(info, HOST, `test -f ${p.marker} && echo marked`)).out, "marked");
  const third = await deploy();
  assert.equal(third.code, 0, third.stdout + third.stderr);
  assert.doesNotMatch(third.stdout, /mark \/srv\/isa/);
});
