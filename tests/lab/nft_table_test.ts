/**
 * Issue 23, item 1, on a deployed Debian lab host: our containers are reachable only as published.
 * - From the other lab host, with routes to the first host's containers through it (a machine on the
 *   same segment routing the Docker subnet via the web server): `container-IP:9090` and `:9117` refused,
 *   while the published port answers that host when `allowed_sources` lists it.
 * - On the host: an unprivileged local user gets nothing from `container-IP:9090` or `:9117` (root does),
 *   and still reaches the published port; verify-metrics (Prometheus' self-scrape, the exporter's scrape
 *   of Apache, our root checks) passes with the table in force.
 */
import assert from "node:assert/strict";
import { cli, lab, labVariant, onHost } from "../helpers/lab.ts";
import { until } from "../helpers/until.ts";
import { networkAddress } from "../../lib/lab/layout.ts";
import { CONTAINER_NAMES, EXPORTER_PORT, PROMETHEUS_PORT } from "../../lib/containers/builders.ts";
import { TABLE, UNIT_NAME } from "../../lib/base/names.ts";

const HOST = "isaqal09";
const OTHER = "isaqal10";

/** `curl`'s status code for `url` run on `host` (as `prefix`, e.g. an unprivileged user): "000" is no answer. */
async function codeOn(info: { sshConfig: string }, host: string, url: string, prefix = ""): Promise<string> {
  const r = await onHost(info, host, `${prefix}curl -s -k -m 3 -o /dev/null -w '%{http_code}' ${url}; true`);
  return r.out;
}

const NOBODY = "setpriv --reuid=65534 --regid=65534 --clear-groups ";

Deno.test("nftables table: our containers reachable only as published (routing bypass, local users)", async (t) => {
  const info = await lab();
  const inv = info.inventory;
  assert.ok(info.hosts.some((h) => h.name === HOST), `${HOST} is a lab host`);
  const d = await cli("deploy.ts", ["--inventory", inv, "--limit", HOST]);
  assert.equal(d.code, 0, d.stdout + d.stderr);
  const ipOf = async (name: string) =>
    (await onHost(
      info,
      HOST,
      `docker inspect -f '{{(index .NetworkSettings.Networks "isa-monitoring").IPAddress}}' ${name}`,
    )).out;
  const prom = await ipOf(CONTAINER_NAMES.prometheus);
  const exporter = await ipOf(CONTAINER_NAMES.exporter);
  assert.match(prom, /^\d+\.\d+\.\d+\.\d+$/);
  assert.match(exporter, /^\d+\.\d+\.\d+\.\d+$/);
  // The lab runs the native frontend: Prometheus serves HTTPS on its own port.
  const promUrl = `https://${prom}:${PROMETHEUS_PORT}/-/healthy`;
  const exporterUrl = `http://${exporter}:${EXPORTER_PORT}/metrics`;
  const published = `https://${networkAddress(HOST)}:8443/`;

  await t.step("verify-metrics passes with the table in force (self-scrape, exporter, Apache)", async () => {
    const v = await cli("verify_metrics.ts", ["--inventory", inv, "--limit", HOST, "--wait", "60s"]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  await t.step(
    "on the host: an unprivileged user reaches no container; root does; the published port serves all",
    async () => {
      assert.equal(
        await codeOn(info, HOST, promUrl, NOBODY),
        "000",
        "nobody → Prometheus' container address",
      );
      assert.equal(await codeOn(info, HOST, exporterUrl, NOBODY), "000", "nobody → the exporter's");
      assert.equal(await codeOn(info, HOST, promUrl), "401", "root (our checks) still reaches Prometheus");
      assert.equal(await codeOn(info, HOST, exporterUrl), "200", "and the exporter");
      assert.equal(
        await codeOn(info, HOST, published, NOBODY),
        "401",
        "the published port, as from anywhere",
      );
      assert.equal(
        await codeOn(info, HOST, "https://127.0.0.1:8443/", NOBODY),
        "401",
        "through docker-proxy",
      );
    },
  );

  const sources = await labVariant(
    info,
    "nft-sources",
    (text) => text.replace("vars:\n", `vars:\n  allowed_sources: [${networkAddress(OTHER)}/32]\n`),
  );
  const routes = `ip route replace ${prom}/32 via ${networkAddress(HOST)}; ` +
    `ip route replace ${exporter}/32 via ${networkAddress(HOST)}`;
  try {
    await t.step(
      `from ${OTHER}, routed through ${HOST}: container addresses refused, the published port answers`,
      async () => {
        const f = await cli("03_firewall.ts", ["--inventory", sources, "--limit", HOST]);
        assert.equal(f.code, 0, f.stdout + f.stderr);
        // /32 routes: they win over the other host's own Docker network, which may use the same subnet.
        const r = await onHost(info, OTHER, routes);
        assert.equal(r.code, 0, r.out);
        assert.equal(
          await codeOn(info, OTHER, published),
          "401",
          `${OTHER} is listed: the published port answers`,
        );
        assert.equal(await codeOn(info, OTHER, promUrl), "000", "container-IP:9090 refused");
        assert.equal(await codeOn(info, OTHER, exporterUrl), "000", "container-IP:9117 refused");
      },
    );

    await t.step(
      "the bypass is real: without our table the container address answers from outside",
      async () => {
        await onHost(info, HOST, `nft delete table inet ${TABLE}`);
        try {
          assert.notEqual(
            await codeOn(info, OTHER, promUrl),
            "000",
            "Docker's own ACCEPT of the published container port lets it in",
          );
          assert.notEqual(await codeOn(info, HOST, promUrl, NOBODY), "000", "and a local user in");
        } finally {
          await onHost(info, HOST, `systemctl restart ${UNIT_NAME}`);
        }
        assert.equal(await codeOn(info, OTHER, promUrl), "000", "the unit loaded the table again");
      },
    );

    await t.step(
      "after systemctl restart nftables (Debian's nftables.conf: flush ruleset): our unit loads the table again",
      async () => {
        const starts = async () =>
          (await onHost(info, HOST, `systemctl show ${UNIT_NAME} -p ExecMainStartTimestampMonotonic --value`))
            .out;
        const before = await starts();
        const r = await onHost(info, HOST, "systemctl restart nftables; systemctl is-active nftables");
        assert.equal(r.out, "active", r.out);
        assert.notEqual(await starts(), before, `${UNIT_NAME} ran again after nftables`);
        const t2 = await onHost(info, HOST, `nft list table inet ${TABLE} >/dev/null && echo loaded`);
        assert.equal(t2.out, "loaded");
        // The flush took Docker's rules too: they come back with its restart (which re-runs our unit).
        await onHost(info, HOST, "systemctl restart docker");
        // Prometheus restarts with the engine: the published port answers once it is up again.
        const served = await until("the published port after docker's restart", 60_000, async () => {
          const c = await codeOn(info, OTHER, published);
          return c === "401" ? c : undefined;
        }, 1000).catch((e) => (e as Error).message);
        assert.equal(served, "401", "the published port serves");
      },
    );
  } finally {
    await onHost(info, OTHER, `ip route del ${prom}/32; ip route del ${exporter}/32; true`);
    const q = await cli("03_firewall.ts", ["--inventory", inv, "--limit", HOST]);
    assert.equal(q.code, 0, q.stdout + q.stderr);
    await Deno.remove(sources).catch(() => {});
  }
});
