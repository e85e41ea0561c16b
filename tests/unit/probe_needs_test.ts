import assert from "node:assert/strict";
import { mergeNeeds, needsApiRequests, needsScript, parseNeeds } from "../../lib/facts/needs.ts";
import { DockerSnapshot, ForeignContainerError, parseDockerNeeds } from "../../lib/facts/docker_snapshot.ts";
import { factsScript } from "../../lib/facts/probe.ts";
import { deploySteps } from "../../lib/steps/mod.ts";
import { qualHost } from "../helpers/fake_host.ts";
import { MANAGED_LABEL, SPEC_HASH_LABEL } from "../../lib/base/names.ts";
import { sections } from "../../lib/base/probe_sections.ts";

Deno.test("needs: the steps' reads merge into one list each, every path and name once", () => {
  const m = mergeNeeds([
    { files: ["/a", "/b"], dirs: ["/d"], docker: { containers: ["x"], images: ["i:1"] } },
    { files: ["/b", "/c"], stats: ["/k"], scripts: ["echo @@s"], docker: { containers: ["x", "y"] } },
  ]);
  assert.deepEqual(m.files, ["/a", "/b", "/c"]);
  assert.deepEqual(m.stats, ["/k"]);
  assert.deepEqual(m.docker?.containers, ["x", "y"]);
  assert.deepEqual(m.docker?.images, ["i:1"]);
  assert.deepEqual(m.scripts, ["echo @@s"]);
});

Deno.test("needs: a deploy asks every path it plans from in the batched probe, the key by stat only", async () => {
  const host = await qualHost();
  const needs = mergeNeeds(deploySteps.map((s) => s.needs?.(host) ?? {}));
  const script = needsScript(needs);
  for (const f of needs.files!) assert.ok(script.includes(`isa_file file-`) && script.includes(f), f);
  const key = `${host.vars.install_dir}/traefik/ssl/key.pem`;
  assert.ok(needs.stats!.includes(key));
  assert.ok(!needs.files!.includes(key), "the private key's content never leaves the host");
  // One list call for every container, and every engine request (the facts' too) in one curl.
  const probe = factsScript(host.vars.install_dir, script, { api: needsApiRequests(needs) });
  assert.equal(probe.match(/\/containers\/json\?all=1/g)?.length, 1);
  assert.equal(probe.match(/\bcurl /g)?.length, 1);
  for (const [section] of needsApiRequests(needs)) assert.ok(probe.includes(section), section);
});

const listed = (name: string, labels: Record<string, string>, state = "running") => ({
  Id: `id-${name}`,
  Names: [`/${name}`],
  State: state,
  Labels: labels,
});

Deno.test("engine snapshot: ours, foreign, stopped and absent containers; images by their answer", () => {
  const out = [
    "@@dc-all",
    JSON.stringify([
      listed("prometheus", { [MANAGED_LABEL]: "true", [SPEC_HASH_LABEL]: "abc" }),
      listed("traefik", {}),
      listed("apache_exporter", { [MANAGED_LABEL]: "true" }, "exited"),
    ]),
    "@@di-0",
    '{"Id":"sha256:1"}',
    "@@di-1",
    '{"message":"No such image: prom/prometheus:v9"}',
    "",
  ].join("\n");
  const snap = parseDockerNeeds(sections(out), {
    containers: ["prometheus", "traefik", "apache_exporter", "prometheus-isa-previous"],
    images: ["prom/apache-exporter:v1", "prom/prometheus:v9"],
  });
  assert.deepEqual(snap.ourContainer("prometheus"), {
    id: "id-prometheus",
    running: true,
    hash: "abc",
    managed: true,
  });
  assert.equal(snap.ourContainer("apache_exporter")?.running, false);
  assert.equal(snap.container("prometheus-isa-previous"), null);
  assert.throws(() => snap.ourContainer("traefik"), ForeignContainerError);
  assert.equal(snap.hasImage("prom/apache-exporter:v1"), true);
  assert.equal(snap.hasImage("prom/prometheus:v9"), false);
  // A name the plan never asked about is a bug in the step, not "absent".
  assert.throws(() => snap.container("grafana"), /did not ask/);
});

Deno.test("engine snapshot: no engine answer reads as empty; a blank snapshot answers for anything", () => {
  const s = parseNeeds(sections("@@dc-all\n@@di-0\n"), {
    docker: { containers: ["prometheus"], images: ["x:1"] },
  });
  assert.equal(s.docker.container("prometheus"), null);
  assert.equal(s.docker.hasImage("x:1"), false);
  assert.equal(DockerSnapshot.blank().container("anything"), null);
});
