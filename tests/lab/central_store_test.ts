/**
 * Central store (issue requirement): with a real receiver in the lab — Debian's Prometheus 2.42 with its
 * remote-write receiver on, behind basic auth — `apache_scoreboard` of every lab host is queryable from
 * the receiver after a deploy, and the remote-write password stays in a 0600 file on the hosts.
 * The same against Debian's VictoriaMetrics (issue 17): every host's samples with their instance, one
 * Grafana data source for it, and every dashboard query answered by it. Its outage test is in
 * central_store_outage_test.ts.
 */
import assert from "node:assert/strict";
import { until } from "../helpers/until.ts";
import $ from "dax";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { installPaths } from "../../lib/inventory/paths.ts";
import { hashPassword } from "../../lib/render/htpasswd.ts";
import { loadInventory, projectRoot } from "../../lib/inventory/load.ts";
import { NETWORK } from "../../lib/lab/layout.ts";
import { randomPassword } from "../../lib/lab/secrets.ts";
import { cli, lab, labVariant, onHost } from "../helpers/lab.ts";
import { fakeGrafana } from "../helpers/grafana_double.ts";
import { dashboardQueries, renderDashboard } from "../../lib/grafana/mod.ts";
import { removeVictoria } from "../../lib/lab/victoria.ts";
import { setUpVictoria, type VictoriaSetup, vmQuery, vmStatus } from "../helpers/victoria.ts";

const RECEIVER = {
  container: "isa-lab-receiver",
  /** On the lab network, where the hosts' Prometheus containers write to (through their host's NAT). */
  ip: "10.209.9.200",
  /** Where this machine queries it. */
  published: "127.0.10.200",
  user: "isa-rw",
};
const QUERY_URL = `http://${RECEIVER.published}:9090`;
const TOKEN = `glsa_central_${crypto.randomUUID().replaceAll("-", "")}`;

/** A query on the receiver, with its basic auth; the series of the answer. */
async function query(
  auth: string,
  promql: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${QUERY_URL}/api/v1/query?${new URLSearchParams({ query: promql })}`, {
    headers: { authorization: auth },
    signal: AbortSignal.timeout(5000),
  });
  const body = await res.json();
  if (body.status !== "success") throw new Error(`${promql}: ${res.status} ${body.error}`);
  return body.data.result;
}

/** HTTP status of the receiver's readiness endpoint (0 when nothing answers). */
async function readyStatus(auth?: string): Promise<number> {
  try {
    const r = await fetch(`${QUERY_URL}/-/ready`, {
      headers: auth ? { authorization: auth } : {},
      signal: AbortSignal.timeout(3000),
    });
    await r.body?.cancel();
    return r.status;
  } catch {
    return 0;
  }
}

Deno.test("central store: a real remote-write receiver gets apache_scoreboard of every lab host", async (t) => {
  const info = await lab();
  const names = info.hosts.map((h) => h.name);
  const password = randomPassword(32);
  const auth = `Basic ${btoa(`${RECEIVER.user}:${password}`)}`;
  const dir = await Deno.makeTempDir({ prefix: "isa-receiver-" });
  const files: string[] = [];
  try {
    // The receiver: the lab's Prometheus image, an empty config, basic auth via --web.config.file.
    // It runs as root so its web.yml can stay 0600 (the image's user is nobody).
    await Deno.copyFile(join(projectRoot, "files/lab/receiver/prometheus.yml"), join(dir, "prometheus.yml"));
    await Deno.writeTextFile(
      join(dir, "web.yml"),
      stringify({ basic_auth_users: { [RECEIVER.user]: await hashPassword(password) } }),
      { mode: 0o600 },
    );
    await $`docker rm -f ${RECEIVER.container}`.quiet().noThrow();
    const run = [
      ["run", "-d", "--name", RECEIVER.container, "--label", "isa-lab=receiver", "--user", "0:0"],
      ["--network", NETWORK.name, "--ip", RECEIVER.ip, "-p", `${RECEIVER.published}:9090:9090`],
      ["--mount", `type=bind,source=${dir},target=/etc/receiver,readonly`, info.images.prometheus],
      ["--config.file=/etc/receiver/prometheus.yml", "--storage.tsdb.path=/prometheus"],
      ["--web.enable-remote-write-receiver", "--web.config.file=/etc/receiver/web.yml"],
    ].flat();
    await $`docker ${run}`.quiet();
    await until(
      "the receiver to be ready",
      30_000,
      async () => (await readyStatus(auth)) === 200 || undefined,
    );
    assert.equal(await readyStatus(), 401, "the receiver requires basic auth");

    const secrets = join(info.dir, "secrets-central-test.yml");
    const base = parse(await Deno.readTextFile(join(info.dir, "secrets.yml")));
    await Deno.writeTextFile(
      secrets,
      stringify({
        ...base,
        grafana: { token: TOKEN },
        remote_write: { username: RECEIVER.user, password },
      }),
      { mode: 0o600 },
    );
    await Deno.chmod(secrets, 0o600);
    files.push(secrets);
    const remoteWrite = {
      url: `http://${RECEIVER.ip}:9090/api/v1/write`,
      auth: "basic",
      query_url: QUERY_URL,
    };
    const inventory = await labVariant(info, "central", (text) => {
      const doc = parse(text);
      doc.secrets = { file: secrets };
      doc.vars.remote_write = remoteWrite;
      // The lab's receiver speaks plain http: the explicit, lab-only opt-in.
      doc.vars.insecure_http_for_lab = true;
      return stringify(doc);
    });
    files.push(inventory);

    await t.step("deploy with remote_write, then every host's scoreboard is on the receiver", async () => {
      const r = await cli("deploy.ts", ["--inventory", inventory]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(!(r.stdout + r.stderr).includes(password), "deploy output shows the remote-write password");
      const series = await until(
        `apache_scoreboard of ${names.join(", ")} on the receiver`,
        60_000,
        async () => {
          const s = await query(auth, "apache_scoreboard");
          const seen = new Set(s.map((x) => x.metric.instance));
          return names.every((n) => seen.has(n)) ? s : undefined;
        },
      );
      for (const n of names) {
        const mine = series.filter((s) => s.metric.instance === n);
        // Every scoreboard state of the host arrived, with the host's external label.
        assert.ok(mine.length >= 10, `${n}: ${mine.length} scoreboard series`);
        assert.ok(
          mine.every((s) => s.metric.host === n && s.metric.deployment === "qual"),
          JSON.stringify(mine[0]),
        );
      }
      // The dashboard's host variable (label_values(apache_up, instance)) spans the fleet on this store.
      const up = await query(auth, "apache_up");
      assert.deepEqual([...new Set(up.map((s) => s.metric.instance))].sort(), names);
    });

    await t.step("the remote-write password is only in a 0600 file on each host", async () => {
      for (const h of (await loadInventory(inventory)).hosts) {
        const p = installPaths(h.vars);
        const inspect = await onHost(info, h.name, "docker inspect prometheus");
        assert.equal(inspect.code, 0, inspect.out);
        assert.ok(!inspect.out.includes(password), `${h.name}: docker inspect prometheus shows the password`);
        const yml = await onHost(info, h.name, `cat ${p.prometheusYml}`);
        assert.ok(!yml.out.includes(password), `${h.name}: prometheus.yml holds the password`);
        assert.match(yml.out, new RegExp(`url: ${remoteWrite.url.replaceAll(".", "\\.")}`));
        assert.match(yml.out, /password_file: \/etc\/prometheus\/secrets\/remote_write_password/);
        const file = await onHost(info, h.name, `stat -c '%a %U:%G' ${p.remoteWritePassword}`);
        assert.equal(file.out, "600 isa-monitoring:isa-monitoring", `${h.name}: ${p.remoteWritePassword}`);
        const content = await onHost(info, h.name, `cat ${p.remoteWritePassword}`);
        assert.equal(content.out, password);
      }
    });

    await t.step("deno task grafana publishes the central store's data source", async () => {
      const g = fakeGrafana({ token: TOKEN, org: "EPFL IS-Academia" });
      try {
        const inv = await labVariant(info, "central-grafana", (text) => {
          const doc = parse(text);
          doc.secrets = { file: secrets };
          doc.vars.remote_write = remoteWrite;
          doc.vars.grafana = { url: g.url, org: "EPFL IS-Academia", dashboard_uid: "isaqal" };
          doc.vars.insecure_http_for_lab = true;
          return stringify(doc);
        });
        files.push(inv);
        const r = await cli("grafana.ts", ["--inventory", inv]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.deepEqual(
          [...g.datasources.keys()].sort(),
          [...names.map((n) => `isa-${n}`), "isa-central-qual"].sort(),
        );
        const central = g.datasources.get("isa-central-qual")!;
        assert.equal(central.url, QUERY_URL);
        assert.equal(central.basicAuthUser, RECEIVER.user);
        assert.equal(g.secure.get("isa-central-qual")!.basicAuthPassword, password);
        assert.ok(!(r.stdout + r.stderr).includes(password));
      } finally {
        await g.close();
      }
    });
  } finally {
    // Leave the lab as other tests expect it: the plain inventory deployed, no receiver.
    const back = await cli("deploy.ts", ["--inventory", info.inventory]);
    await $`docker rm -f ${RECEIVER.container}`.quiet().noThrow();
    for (const f of files) await Deno.remove(f).catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    assert.equal(back.code, 0, `redeploy of the plain lab inventory: ${back.stdout}${back.stderr}`);
  }
});

Deno.test("central store on VictoriaMetrics: every host's samples, one Grafana data source, every dashboard query answered", async (t) => {
  const info = await lab();
  const names = info.hosts.map((h) => h.name);
  let vm: VictoriaSetup | undefined;
  try {
    vm = await setUpVictoria(info, "victoria");
    const v = vm;
    assert.equal(await vmStatus(v, "/api/v1/query?query=up"), 401, "VictoriaMetrics requires basic auth");

    await t.step(
      "deploy with remote_write to VictoriaMetrics; every host's samples arrive with their instance",
      async () => {
        const r = await cli("deploy.ts", ["--inventory", v.inventory]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.ok(
          !(r.stdout + r.stderr).includes(v.password),
          "deploy output shows the remote-write password",
        );
        const series = await until(
          `apache_scoreboard of ${names.join(", ")} on VictoriaMetrics`,
          90_000,
          async () => {
            const s = await vmQuery(v, "apache_scoreboard");
            const seen = new Set(s.map((x) => x.metric.instance));
            return names.every((n) => seen.has(n)) ? s : undefined;
          },
        );
        for (const n of names) {
          const mine = series.filter((s) => s.metric.instance === n);
          assert.ok(mine.length >= 10, `${n}: ${mine.length} scoreboard series`);
          assert.ok(
            mine.every((s) => s.metric.host === n && s.metric.deployment === "qual"),
            JSON.stringify(mine[0]),
          );
        }
      },
    );

    await t.step("every dashboard query returns data for each host from VictoriaMetrics", async () => {
      for (const n of names) {
        // Rates need a few samples in their window.
        await until(`a minute of ${n}'s counters on VictoriaMetrics`, 90_000, async () => {
          const r = await vmQuery(v, `count_over_time(apache_accesses_total{instance="${n}"}[1m])`);
          return r.length && Number(r[0].value![1]) >= 3 ? true : undefined;
        }, 2000);
        const queries = dashboardQueries(renderDashboard("qual"), {
          host: n,
          __rate_interval: "1m",
          __interval: "5s",
          __range: "5m",
        });
        assert.ok(queries.length >= 15, "the walk found the dashboard's queries");
        for (const q of queries) {
          const result = await vmQuery(v, q.expr);
          assert.ok(result.length > 0, `${n}: ${q.where}: no data for ${q.expr}`);
          const instances = new Set(result.map((s) => s.metric.instance));
          assert.ok(instances.has(n), `${n}: ${q.where}: no series for ${n} in ${q.expr}`);
          if (!q.where.startsWith("variable ")) {
            assert.deepEqual([...instances], [n], `${n}: ${q.where}: only this host's series`);
          }
        }
      }
    });

    await t.step("deno task grafana publishes one data source for VictoriaMetrics", async () => {
      const g = fakeGrafana({ token: v.grafanaToken, org: "EPFL IS-Academia" });
      try {
        // The VictoriaMetrics inventory plus a Grafana, next to it (its relative paths stay valid).
        const doc = parse(await Deno.readTextFile(v.inventory));
        doc.vars.grafana = { url: g.url, org: "EPFL IS-Academia", dashboard_uid: "isaqal" };
        const inv = join(info.dir, "variant-victoria-grafana.yml");
        await Deno.writeTextFile(inv, stringify(doc));
        const r = await cli("grafana.ts", ["--inventory", inv]);
        await Deno.remove(inv).catch(() => {});
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const central = [...g.datasources.values()].filter((d) => String(d.uid).startsWith("isa-central"));
        assert.equal(central.length, 1, "one data source for the central store");
        assert.equal(central[0].uid, "isa-central-qual");
        assert.equal(central[0].url, v.queryUrl);
        assert.equal(central[0].basicAuthUser, v.user);
        assert.equal(g.secure.get("isa-central-qual")!.basicAuthPassword, v.password);
        assert.ok(!(r.stdout + r.stderr).includes(v.password));
        // Grafana's Prometheus data source asks /api/v1/query on that URL: VictoriaMetrics answers it.
        const res = await fetch(`${central[0].url}/api/v1/query?query=apache_up`, {
          headers: { authorization: `Basic ${btoa(`${central[0].basicAuthUser}:${v.password}`)}` },
        });
        assert.equal((await res.json()).data.result.length, names.length);
      } finally {
        await g.close();
      }
    });
  } finally {
    const back = await cli("deploy.ts", ["--inventory", info.inventory]);
    await removeVictoria();
    if (vm) { for (const f of [vm.secrets, vm.inventory]) await Deno.remove(f).catch(() => {}); }
    assert.equal(back.code, 0, `redeploy of the plain lab inventory: ${back.stdout}${back.stderr}`);
  }
});
