/**
 * The light hosts (`deno task lab up --light N`), for real, through the CLI: two come up (idempotently),
 * the tool's `facts` reaches them over SSH and reports the Apache they run, `deploy --check` plans the
 * Docker install on them, and `lab down --light` leaves no light container nor their network. Needs root,
 * a Docker engine and debootstrap (the first run builds the light image: about two minutes).
 */
import assert from "node:assert/strict";
import { cli } from "../helpers/cli.ts";
import { execIn, existingLightHosts } from "../../lib/lab/containers.ts";
import { docker } from "../../lib/lab/engine.ts";
import { containerName, labFiles, LIGHT, lightHostName } from "../../lib/lab/layout.ts";

const HOSTS = [lightHostName(1), lightHostName(2)];

Deno.test({
  name: "light lab: up --light 2, facts over SSH match the containers' Apache, down --light leaves nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const up = await cli("lab.ts", ["up", "--light", "2"], {}, { timeoutMs: 10 * 60_000 });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    try {
      await t.step("a second `up --light 2` changes nothing", async () => {
        const again = await cli("lab.ts", ["up", "--light", "2"], {}, { timeoutMs: 120_000 });
        assert.equal(again.code, 0, again.stdout + again.stderr);
        assert.match(again.stdout, /nothing to change/);
      });

      await t.step(
        "facts reports the Apache binary, version, MPM and service each container runs",
        async () => {
          const args = ["--inventory", labFiles.lightInventory, "--limit", HOSTS.join(",")];
          const r = await cli("01_facts.ts", args, {}, { timeoutMs: 120_000 });
          const out = r.stdout + r.stderr;
          assert.equal(r.code, 0, out);
          for (const host of HOSTS) {
            const line = new RegExp(
              `^${host} facts .*apache: (\\S+) (\\S+) \\((\\w+)\\), service (\\S+) running`,
              "m",
            )
              .exec(out);
            assert.ok(line, `${host}: no apache line in:\n${out}`);
            const inside = await execIn(containerName(host), [
              "sh",
              "-c",
              "command -v apache2; apache2ctl -V",
            ]);
            assert.equal(inside.code, 0, inside.output);
            const [bin] = inside.output.trim().split("\n");
            const version = /Server version:\s*Apache\/(\S+)/.exec(inside.output)?.[1];
            const mpm = /Server MPM:\s*(\S+)/.exec(inside.output)?.[1];
            assert.deepEqual(line.slice(1), [bin, version, mpm, "apache2"], `${host}: ${line[0]}`);
            assert.match(out, new RegExp(`^${host} facts .*mod_status loaded`, "m"));
            assert.match(out, new RegExp(`^${host} facts .*docker: not installed`, "m"));
          }
        },
      );

      await t.step("deploy --check plans the Docker install and changes nothing", async () => {
        const args = [
          "--inventory",
          labFiles.lightInventory,
          "--limit",
          HOSTS.join(","),
          "--check",
          "--json",
        ];
        const r = await cli("deploy.ts", args, {}, { timeoutMs: 120_000 });
        assert.ok(r.json, r.stdout + r.stderr);
        assert.equal(r.json.hosts.length, 2);
        for (const h of r.json.hosts) {
          const dockerStep = h.steps.find((s: { step: string }) => s.step === "docker");
          assert.ok(
            dockerStep?.changes.some((c: { summary: string }) => /install docker\.io/.test(c.summary)),
            `${h.host}: ${JSON.stringify(h.steps)}`,
          );
        }
        const still = await execIn(containerName(HOSTS[0]), ["sh", "-c", "command -v dockerd || echo none"]);
        assert.equal(still.output.trim(), "none");
      });
    } finally {
      const down = await cli("lab.ts", ["down", "--light"], {}, { timeoutMs: 120_000 });
      assert.equal(down.code, 0, down.stdout + down.stderr);
    }
    assert.deepEqual(await existingLightHosts(), []);
    const net = await docker().getNetwork(LIGHT.network.name).inspect().then(() => true, () => false);
    assert.equal(net, false, `network ${LIGHT.network.name} is left`);
    await assert.rejects(Deno.stat(labFiles.lightInventory));
  },
});
