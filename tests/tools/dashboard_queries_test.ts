/**
 * Every PromQL expression of the dashboard, run against a real Prometheus scraping a real
 * apache_exporter (Debian's packages `prometheus` and `prometheus-apache-exporter`, which CI installs):
 * a tools test, as it starts those binaries on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { allPanels, dashboardQueries, renderDashboard } from "../../lib/grafana/mod.ts";
import { SCOREBOARD_STATES } from "../../lib/verify/evidence.ts";
import { parse } from "yaml";
import { until } from "../helpers/until.ts";

/** Fails clearly when a binary CI installs is missing, rather than skipping. */
async function need(bin: string, pkg: string): Promise<void> {
  try {
    await new Deno.Command(bin, { args: ["--version"], stdout: "null", stderr: "null" }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        `${bin} is not installed: apt-get install -y ${pkg} (CI installs it; this test does not skip)`,
      );
    }
    throw e;
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A child process whose output is kept for failure messages. */
function spawn(bin: string, args: string[]) {
  const child = new Deno.Command(bin, { args, stdin: "null", stdout: "piped", stderr: "piped" }).spawn();
  let log = "";
  const dec = new TextDecoder();
  const drain = (s: ReadableStream<Uint8Array>) =>
    s.pipeTo(new WritableStream({ write: (c) => void (log = (log + dec.decode(c)).slice(-4000)) }));
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  return {
    log: () => log,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await drained;
    },
  };
}

/** A realistic mod_status `?auto` page (ExtendedStatus On, event MPM) whose counters grow. */
function serverStatus(n: number, startedAt: number): string {
  const uptime = 3600 + Math.floor((Date.now() - startedAt) / 1000);
  const scoreboard = "_".repeat(38) + "SRRWWWWKKKDCLGI" + "W".repeat(n % 3) + ".".repeat(90);
  const busy = [...scoreboard].filter((c) => c !== "_" && c !== "." && c !== "I").length;
  return [
    "127.0.0.1",
    "ServerVersion: Apache/2.4.62 (Debian)",
    "ServerMPM: event",
    "Server Built: 2024-10-04T15:21:08",
    "ParentServerConfigGeneration: 1",
    "ParentServerMPMGeneration: 0",
    `ServerUptimeSeconds: ${uptime}`,
    "Load1: 0.10",
    "Load5: 0.08",
    "Load15: 0.05",
    `Total Accesses: ${120000 + 17 * n}`,
    `Total kBytes: ${640000 + 93 * n}`,
    `Total Duration: ${4200000 + 17 * 38 * n}`,
    `CPUUser: ${(12.5 + 0.03 * n).toFixed(2)}`,
    `CPUSystem: ${(3.2 + 0.01 * n).toFixed(2)}`,
    "CPUChildrenUser: 0",
    "CPUChildrenSystem: 0",
    "CPULoad: .436111",
    `Uptime: ${uptime}`,
    "ReqPerSec: 33.3",
    "BytesPerSec: 182044",
    "BytesPerReq: 5461.3",
    "DurationPerReq: 35.0",
    `BusyWorkers: ${busy}`,
    `IdleWorkers: ${38}`,
    "Processes: 3",
    "Stopping: 0",
    "ConnsTotal: 12",
    "ConnsAsyncWriting: 0",
    "ConnsAsyncKeepAlive: 3",
    "ConnsAsyncClosing: 1",
    `Scoreboard: ${scoreboard}`,
    "",
  ].join("\n");
}

interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

async function promQuery(base: string, path: string, params: Record<string, string>): Promise<PromSeries[]> {
  const res = await fetch(`${base}${path}?${new URLSearchParams(params)}`);
  const body = await res.json();
  if (body.status !== "success") throw new Error(`${params.query}: ${body.errorType}: ${body.error}`);
  const data = body.data as { resultType: string; result: PromSeries[] | [number, string] };
  if (data.resultType === "scalar") return [{ metric: {}, value: data.result as [number, string] }];
  return data.result as PromSeries[];
}

Deno.test({
  name: "every dashboard query returns data for the host from a real Prometheus and apache_exporter",
  sanitizeResources: true,
  sanitizeOps: true,
  async fn() {
    await need("prometheus", "prometheus");
    await need("prometheus-apache-exporter", "prometheus-apache-exporter");
    const startedAt = Date.now();
    let hits = 0;
    const apache = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      const url = new URL(req.url);
      // The second host's Apache denies /server-status: the exporter then reports apache_up 1, no scoreboard.
      if (url.pathname === "/forbidden/server-status") return new Response("Forbidden", { status: 403 });
      return new Response(serverStatus(hits++, startedAt), { headers: { "content-type": "text/plain" } });
    });
    const dir = await Deno.makeTempDir({ prefix: "isa-grafana-test-" });
    const procs: { stop: () => Promise<void>; log: () => string }[] = [];
    try {
      const apacheUrl = `http://127.0.0.1:${apache.addr.port}`;
      const exp1 = freePort();
      procs.push(spawn("prometheus-apache-exporter", [
        `--scrape_uri=${apacheUrl}/server-status?auto`,
        `--telemetry.address=127.0.0.1:${exp1}`,
      ]));
      const exp2 = freePort();
      procs.push(spawn("prometheus-apache-exporter", [
        `--scrape_uri=${apacheUrl}/forbidden/server-status?auto`,
        `--telemetry.address=127.0.0.1:${exp2}`,
      ]));
      const promPort = freePort();
      const rules = new URL("../../files/prometheus/alerts.yml", import.meta.url).pathname;
      // Same shape as a host's Prometheus: job names apache and prometheus, instance = inventory name.
      const config = {
        global: { scrape_interval: "1s", evaluation_interval: "1s" },
        rule_files: [rules],
        scrape_configs: [
          {
            job_name: "apache",
            static_configs: [
              { targets: [`127.0.0.1:${exp1}`], labels: { instance: "isatest01" } },
              { targets: [`127.0.0.1:${exp2}`], labels: { instance: "isatest02" } },
            ],
          },
          {
            job_name: "prometheus",
            static_configs: [{ targets: [`127.0.0.1:${promPort}`], labels: { instance: "isatest01" } }],
          },
        ],
      };
      await Deno.writeTextFile(`${dir}/prometheus.yml`, JSON.stringify(config));
      const prom = spawn("prometheus", [
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/data`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        "--log.level=warn",
      ]);
      procs.push(prom);
      const base = `http://127.0.0.1:${promPort}`;

      try {
        await until("three scrapes of isatest01", 60_000, async () => {
          const r = await promQuery(base, "/api/v1/query", {
            query: 'count_over_time(apache_accesses_total{instance="isatest01"}[1m])',
          });
          return r.length && Number(r[0].value![1]) >= 3 ? true : undefined;
        });
      } catch (e) {
        throw new Error(
          `${(e as Error).message}\nprometheus log:\n${prom.log()}\nexporter:\n${procs[0].log()}`,
        );
      }

      const d = renderDashboard("qual");
      const vars = { host: "isatest01", __rate_interval: "30s", __interval: "2s", __range: "5m" };
      const queries = dashboardQueries(d, vars);
      assert.ok(queries.length >= 15);
      const now = Date.now() / 1000;
      for (const q of queries) {
        const instant = await promQuery(base, "/api/v1/query", { query: q.expr });
        assert.ok(instant.length > 0, `${q.where}: no data for ${q.expr}`);
        const instances = new Set(instant.map((s) => s.metric.instance));
        if (q.where.startsWith("variable ")) {
          assert.ok(instances.has("isatest01"), `${q.where}: ${[...instances]}`);
        } else {
          assert.deepEqual([...instances], ["isatest01"], `${q.where}: instance label of ${q.expr}`);
          for (const s of instant) assert.ok(Number.isFinite(Number(s.value![1])), `${q.where}: ${s.value}`);
        }
        const range = await promQuery(base, "/api/v1/query_range", {
          query: q.expr,
          start: String(now - 10),
          end: String(now),
          step: "2",
        });
        assert.ok(range.length > 0, `${q.where}: no range data for ${q.expr}`);
      }

      const sb = await promQuery(base, "/api/v1/query", {
        query: dashboardQueries(d, vars).find((q) => q.raw.startsWith("apache_scoreboard{"))!.expr,
      });
      assert.deepEqual(sb.map((s) => s.metric.state).sort(), [...SCOREBOARD_STATES].sort());

      // The Apache status panel: Up for the healthy host, Down for the one answering 403.
      const status = allPanels(d).find((p) => p.title === "Apache")!.targets![0].expr!;
      for (const [host, want] of [["isatest01", "1"], ["isatest02", "0"]]) {
        const r = await promQuery(base, "/api/v1/query", { query: status.replaceAll("$host", host) });
        assert.deepEqual(r.map((s) => s.value![1]), [want], `Apache status of ${host}`);
      }

      // The real Prometheus loads alerts.yml, evaluates every rule without error, and ApacheDown is
      // pending (its for: 5m has not elapsed) for the 403 host only.
      // Every rule of alerts.yml is loaded (Prometheus loads them before it scrapes) and none ever fails
      // to evaluate: only a rule not evaluated yet ("unknown") is waited for.
      const inFile = (parse(await Deno.readTextFile(rules)) as { groups: { rules: { alert: string }[] }[] })
        .groups.flatMap((g) => g.rules.map((r) => r.alert)).sort();
      assert.ok(inFile.length >= 5, inFile.join(", "));
      await until("every rule evaluated", 30_000, async () => {
        const res = await (await fetch(`${base}/api/v1/rules`)).json();
        const rs = res.data.groups.flatMap((g: { rules: unknown[] }) => g.rules) as {
          name: string;
          health: string;
          lastError?: string;
        }[];
        assert.deepEqual(rs.map((r) => r.name).sort(), inFile, "the rules Prometheus loaded");
        for (const r of rs) assert.notEqual(r.health, "err", `${r.name}: ${r.lastError}`);
        return rs.every((r) => r.health === "ok") ? true : undefined;
      });
      const pending = await until("ApacheDown pending for isatest02", 30_000, async () => {
        const res = await (await fetch(`${base}/api/v1/alerts`)).json();
        const as = res.data.alerts as { labels: Record<string, string>; state: string }[];
        return as.some((a) => a.labels.alertname === "ApacheDown") ? as : undefined;
      });
      assert.deepEqual(
        pending.filter((a) => a.labels.alertname === "ApacheDown").map((a) =>
          `${a.labels.instance} ${a.state}`
        ),
        ["isatest02 pending"],
      );
      assert.ok(!pending.some((a) => a.labels.alertname === "ExporterDown"));
    } finally {
      for (const p of procs.reverse()) await p.stop();
      await apache.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
