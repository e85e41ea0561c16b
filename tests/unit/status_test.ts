import * as assert from "node:assert/strict";
import {
  certDaysLeft,
  type HealthInput,
  human,
  pinnedImage,
  problems,
  sizeBytes,
  targetRows,
} from "../../lib/status/checks.ts";
import { statusExitCode } from "../../lib/status/task.ts";

const images = { apache_exporter: "e:1", prometheus: "p:2", traefik: "t:3" };
const now = Date.parse("2026-01-01T00:00:00Z");

function healthy(): HealthInput {
  return {
    containers: [
      { name: "prometheus", state: "running", image: "p:2", pinned: "p:2", uptime: "1h" },
      { name: "apache_exporter", state: "running", image: "e:1", pinned: "e:1", uptime: "1h" },
    ],
    certDaysLeft: 800,
    tsdbBytes: 5 * 1024 * 1024,
    retentionSize: "2GB",
    targets: targetRows([
      { labels: { job: "apache" }, health: "up", lastScrape: "2025-12-31T23:59:58Z", lastError: "" },
    ], now),
    alerts: [],
    lastSampleAgeS: 3,
    intervalS: 5,
  };
}

Deno.test("status checks: pinned images, certificate days, sizes", () => {
  assert.equal(pinnedImage({ images }, "apache_exporter"), "e:1");
  assert.equal(pinnedImage({ images }, "prometheus"), "p:2");
  assert.equal(pinnedImage({ images }, "other"), undefined);
  assert.equal(certDaysLeft("notAfter=Jan 11 00:00:00 2026 GMT", now), 10);
  assert.equal(certDaysLeft("notAfter=Mar  5 12:00:00 2028 GMT", now), 794);
  assert.equal(certDaysLeft("", now), null);
  assert.equal(sizeBytes("2GB"), 2 * 1024 ** 3);
  assert.equal(sizeBytes("512MB"), 512 * 1024 ** 2);
  assert.equal(sizeBytes("2 GB"), null);
  assert.equal(sizeBytes("2GiB"), 2 * 1024 ** 3);
  assert.equal(human(1536), "1.5 KiB");
  assert.equal(
    targetRows([{
      labels: { job: "apache" },
      health: "up",
      lastScrape: "2025-12-31T23:59:50Z",
      lastError: "",
    }], now)[0].lastScrapeAgeS,
    10,
  );
});

Deno.test("status checks: a healthy host has no problems; each fault is named", () => {
  assert.deepEqual(problems(healthy()), []);
  const h = healthy();
  h.containers[0].image = "p:1";
  h.containers[1].state = "exited";
  h.certDaysLeft = 12;
  h.tsdbBytes = 1.95 * 1024 ** 3;
  h.targets = [{ job: "apache", health: "down", lastScrapeAgeS: 40, error: "connection refused" }];
  h.alerts = [{ name: "ExporterDown", severity: "critical" }, { name: "ApacheRestarted", severity: "info" }];
  h.lastSampleAgeS = 100;
  const p = problems(h);
  for (
    const re of [
      /prometheus runs p:1, pinned p:2/,
      /apache_exporter is exited/,
      /certificate expires in 12 day/,
      /TSDB .* over 90% of retention_size 2GB/,
      /target apache is down: connection refused/,
      /alerts firing: ExporterDown/,
      /last apache_scoreboard sample 100s ago/,
    ]
  ) assert.ok(p.some((x) => re.test(x)), `${re} in ${p.join("; ")}`);
  assert.ok(problems({ ...healthy(), targets: null }).includes("Prometheus' API does not answer"));
  assert.ok(!p.some((x) => x.includes("ApacheRestarted")), "info alerts are not problems");
  assert.deepEqual(problems({ ...healthy(), alerts: [{ name: "ApacheRestarted", severity: "info" }] }), []);
  assert.deepEqual(problems({ ...healthy(), alerts: [{ name: "Watchdog", severity: "none" }] }), []);
  // The Watchdog as files/prometheus/alerts.yml ships it.
  assert.deepEqual(problems({ ...healthy(), alerts: [{ name: "Watchdog", severity: "heartbeat" }] }), []);
});

Deno.test("status exit code through the shared rule: drift and problems 2, unreachable 4", () => {
  assert.equal(statusExitCode([{ status: "ok" }]), 0);
  assert.equal(statusExitCode([{ status: "ok" }, { status: "drift" }]), 2);
  assert.equal(statusExitCode([{ status: "attention" }]), 2);
  assert.equal(statusExitCode([{ status: "drift" }, { status: "unreachable" }]), 6);
});
