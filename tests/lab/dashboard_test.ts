import assert from "node:assert/strict";
import { dashboardQueries, renderDashboard } from "../../lib/grafana/mod.ts";
import { cli, lab, onHost } from "../helpers/lab.ts";
import { until } from "../helpers/until.ts";

const HOST = "isaqal09";

Deno.test("every PromQL expression of the dashboard returns data for a lab host, through its HTTPS endpoint", async () => {
  const info = await lab();
  const deploy = await cli("deploy.ts", ["--inventory", info.inventory, "--limit", HOST]);
  assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
  const pem = (await onHost(info, HOST, "cat /srv/isa/traefik/ssl/cert.pem")).out + "\n";
  const client = Deno.createHttpClient({ caCerts: [pem] });
  const auth = "Basic " + btoa(`${info.user}:${info.password}`);
  const ask = async (expr: string) => {
    const r = await fetch(`https://127.0.10.9:8443/api/v1/query?query=${encodeURIComponent(expr)}`, {
      client,
      headers: { Authorization: auth },
    });
    const body = await r.json();
    assert.equal(body.status, "success", `${expr}: ${body.error}`);
    return body.data.result as { metric: Record<string, string>; value: [number, string] }[];
  };
  try {
    // Rates need two scrapes in their window: wait until the counters have a few samples (a test
    // that went on without them would fail on the first rate, for the wrong reason).
    await until(`three scrapes of ${HOST}`, 60_000, async () => {
      const r = await ask(`count_over_time(apache_accesses_total{instance="${HOST}"}[1m])`);
      return r.length && Number(r[0].value[1]) >= 3 ? true : undefined;
    }, 2000);
    const queries = dashboardQueries(renderDashboard("qual"), {
      host: HOST,
      __rate_interval: "1m",
      __interval: "5s",
      __range: "5m",
    });
    assert.ok(queries.length >= 15, "the walk found the dashboard's queries");
    for (const q of queries) {
      const result = await ask(q.expr);
      assert.ok(result.length > 0, `${q.where}: no data for ${q.expr}`);
      const instances = new Set(result.map((s) => s.metric.instance));
      assert.ok(instances.has(HOST), `${q.where}: no series for ${HOST} in ${q.expr}`);
      if (!q.where.startsWith("variable ")) {
        assert.deepEqual([...instances], [HOST], `${q.where}: only this host's series`);
      }
    }
  } finally {
    client.close();
  }
});
