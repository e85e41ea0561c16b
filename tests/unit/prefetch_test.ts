/**
 * The runner starts the later steps' image deliveries as soon as the step that starts the engine has
 * run, never before it, never under --check, never after it failed; a later step's failure still stops
 * the host before the container steps.
 */
import assert from "node:assert/strict";
import { planAndApply } from "../../lib/fleet/runner.ts";
import { ImageDeliveries } from "../../lib/containers/deliveries.ts";
import { parseFacts } from "../../lib/facts/probe.ts";
import type { HostReport } from "../../lib/engine/report.ts";
import type { Step } from "../../lib/steps/step.ts";
import { exporterStep } from "../../lib/steps/exporter.ts";
import { prometheusStep } from "../../lib/steps/prometheus.ts";
import { prefetchImages } from "../../lib/steps/container_recipe.ts";
import { fakeContext, qualHost } from "../helpers/fake_host.ts";

/** Deliveries that record what was started, and deliver nothing. */
class Spy extends ImageDeliveries {
  starts: string[] = [];
  override start(ref: string, mode: "pull" | "push"): void {
    this.starts.push(ref);
    super.start(ref, mode, () => Promise.resolve());
  }
}

async function scenario(
  opts: { check?: boolean; engineFails?: boolean; apacheFails?: boolean; delivery?: "pull" | "push" } = {},
) {
  const host = await qualHost({ image_delivery: opts.delivery ?? "pull" });
  const down = parseFacts("");
  const up = { ...down, docker: { ...down.docker, installed: true, running: true, version: "26.1.5" } };
  const ctx = fakeContext(down, host);
  const spy = new Spy();
  ctx.deliveries = spy;
  ctx.opts = { ...ctx.opts, check: opts.check ?? false, json: true };
  // The engine answers once the docker step has applied its change: the re-probe says so.
  let installed = false;
  ctx.refreshFacts = () => {
    if (installed) ctx.facts = up;
    return Promise.resolve();
  };
  const seen: Record<string, string[]> = {};
  const step = (id: string, extra: Partial<Step> = {}, fail = false): Step => ({
    id,
    plan: () => {
      seen[id] = [...spy.starts];
      if (fail) return Promise.reject(new Error(`${id} refused`));
      return Promise.resolve([{
        summary: `${id} change`,
        apply: () => {
          seen[`${id} applying`] = [...spy.starts];
          if (id === "docker") installed = true;
          return Promise.resolve();
        },
      }]);
    },
    ...extra,
  });
  const steps: Step[] = [
    step("facts"),
    step("docker", { startsEngine: true }, opts.engineFails),
    step("firewall"),
    step("apache", {}, opts.apacheFails),
    step("exporter", { needs: () => ({ docker: { images: ["img/exporter:1"] } }) }),
    step("prometheus", { needs: () => ({ docker: { images: ["img/prometheus:2"] } }) }),
  ];
  const report: HostReport = { host: host.name, status: "ok", steps: [], seconds: 0 };
  await planAndApply(ctx, steps, report, () => {});
  await spy.settle();
  return { seen, report, starts: spy.starts };
}

Deno.test("pull: the images start travelling right after the engine step, before the firewall and Apache steps", async () => {
  const { seen, starts } = await scenario();
  assert.deepEqual(seen.facts, []);
  assert.deepEqual(seen.docker, [], "not before the engine is there");
  assert.deepEqual(seen["docker applying"], [], "a pull needs the engine");
  assert.deepEqual(seen.firewall, ["img/exporter:1", "img/prometheus:2"]);
  assert.deepEqual(starts, ["img/exporter:1", "img/prometheus:2"], "started once");
});

Deno.test("push to a host without a running engine: the images travel (to its cache) while the engine installs", async () => {
  const { seen, starts } = await scenario({ delivery: "push" });
  assert.deepEqual(
    seen.docker,
    [],
    "not before the Docker step has planned (the facts step may refuse the host)",
  );
  assert.deepEqual(seen["docker applying"], ["img/exporter:1", "img/prometheus:2"]);
  assert.deepEqual(
    starts,
    ["img/exporter:1", "img/prometheus:2"],
    "started once, not again after the engine",
  );
});

Deno.test("no prefetch under --check, nor when the engine step failed", async () => {
  assert.deepEqual((await scenario({ check: true })).starts, []);
  assert.deepEqual((await scenario({ check: true, delivery: "push" })).starts, []);
  const failed = await scenario({ engineFails: true });
  assert.deepEqual(failed.starts, []);
  assert.equal(failed.report.status, "failed");
});

Deno.test("a failed Apache step still stops the host before the container steps", async () => {
  const { seen, report } = await scenario({ apacheFails: true, delivery: "push" });
  assert.equal(report.status, "failed");
  assert.deepEqual(report.steps.map((s) => `${s.step} ${s.status}`), [
    "facts changed",
    "docker changed",
    "firewall changed",
    "apache failed",
  ]);
  assert.equal(seen.exporter, undefined);
});

Deno.test("prefetchImages asks the real container steps' needs for their images, minus those the host has", async () => {
  const host = await qualHost({ image_delivery: "push", frontend: "native" });
  const down = parseFacts("");
  const ctx = fakeContext({ ...down, docker: { ...down.docker, running: true } }, host);
  const spy = new Spy();
  ctx.deliveries = spy;
  ctx.opts = { ...ctx.opts, check: false };
  assert.deepEqual(prefetchImages(ctx, [exporterStep, prometheusStep]), [
    host.vars.images.apache_exporter,
    host.vars.images.prometheus,
  ]);
  await spy.settle();
  ctx.opts = { ...ctx.opts, check: true };
  assert.deepEqual(prefetchImages(ctx, [exporterStep, prometheusStep]), []);
});
