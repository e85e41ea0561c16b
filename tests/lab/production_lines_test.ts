/**
 * Issue 22: the lab runs what production runs. Prometheus 3.5 (2.53, the previous LTS line, on the one
 * oldest-line host) and apache_exporter 1.x, pulled under the production names from the lab registry
 * (TLS, basic auth), the RHEL-shaped host through the lab's squid; with squid stopped, that host's
 * deploy fails naming the proxy while the other host's succeeds.
 */
import assert from "node:assert/strict";
import $ from "dax";
import { cli, lab, labVariant, onHost, resetHost } from "../helpers/lab.ts";
import { until } from "../helpers/until.ts";
import { loadInventory } from "../../lib/inventory/load.ts";
import { installPaths } from "../../lib/inventory/paths.ts";
import { CONTAINER_NAMES } from "../../lib/containers/builders.ts";
import { OLDEST_LINE_HOST, PROXY, REGISTRY } from "../../lib/lab/layout.ts";
import { pinnedImages } from "../../lib/lab/lines.ts";

/** GET `path` of a host's Prometheus through its HTTPS port, trusting only its certificate; parsed JSON. */
async function promApi(
  info: Awaited<ReturnType<typeof lab>>,
  host: string,
  path: string,
): Promise<{ status: string; data: Record<string, string> }> {
  const inv = await loadInventory(info.inventory);
  const h = inv.hosts.find((x) => x.name === host)!;
  const pem = (await onHost(info, host, `cat ${installPaths(h.vars).cert}`)).out + "\n";
  const client = Deno.createHttpClient({ caCerts: [pem] });
  const auth = "Basic " + btoa(`${info.user}:${info.password}`);
  try {
    return await until(`${host}: ${path}`, 30_000, async () => {
      const r = await fetch(`https://${h.vars.public_address}:${h.vars.ports.https}${path}`, {
        client,
        headers: { Authorization: auth },
      }).catch(() => undefined);
      if (!r) return undefined;
      const body = await r.text();
      return r.status === 200 ? JSON.parse(body) : undefined;
    }, 500);
  } finally {
    client.close();
  }
}

/** A container's image as the host's engine knows it: its tags and its repository digests. */
async function imageOf(info: Awaited<ReturnType<typeof lab>>, host: string, container: string) {
  const r = await onHost(
    info,
    host,
    `docker image inspect --format '{{json .RepoTags}} {{json .RepoDigests}}' "$(docker inspect --format '{{.Image}}' ${container})"`,
  );
  const [tags, digests] = r.out.split(" ").map((j) => JSON.parse(j) as string[]);
  return { tags, digests };
}

Deno.test("production lines, pulled from the lab registry; the RHEL-shaped host through squid", async (t) => {
  const rhel = (await lab()).hosts.find((h) => h.flavour === "rhel")!.name;
  // Fresh, so that its deploy pulls (through squid) whatever other tests deployed before.
  const info = await resetHost(await lab(), rhel);
  const pinned = await pinnedImages();
  const since = new Date().toISOString();
  const deploy = await cli("deploy.ts", ["--inventory", info.inventory]);
  assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);

  await t.step("Prometheus 3.5 everywhere but the oldest-line host (2.53)", async () => {
    for (const h of info.hosts) {
      const build = await promApi(info, h.name, "/api/v1/status/buildinfo");
      const want = h.name === OLDEST_LINE_HOST ? /^2\.53\./ : /^3\.5\./;
      assert.match(build.data.version, want, `${h.name}: ${JSON.stringify(build.data)}`);
    }
  });

  await t.step("apache_exporter 1.x", async () => {
    for (const h of info.hosts) {
      const r = await onHost(
        info,
        h.name,
        `curl -s "http://$(docker inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' ${CONTAINER_NAMES.exporter}):9117/metrics" | grep '^apache_exporter_build_info'`,
      );
      assert.match(r.out, /apache_exporter_build_info\{[^}]*version="1\.\d+/, `${h.name}: ${r.out}`);
    }
  });

  await t.step("every image was pulled under its production name (RepoDigests), none pushed", async () => {
    for (const h of info.hosts) {
      for (const c of [CONTAINER_NAMES.exporter, CONTAINER_NAMES.prometheus]) {
        const img = await imageOf(info, h.name, c);
        const ref = img.tags[0];
        assert.ok(ref?.startsWith("quay.io/"), `${h.name} ${c}: ${JSON.stringify(img)}`);
        const repo = ref.slice(0, ref.lastIndexOf(":"));
        // `docker load` (push) leaves no repository digest; a pull records the registry's.
        assert.ok(
          img.digests.some((d) => d.startsWith(`${repo}@sha256:`)),
          `${h.name} ${c}: ${JSON.stringify(img)}`,
        );
      }
      const exporter = await imageOf(info, h.name, CONTAINER_NAMES.exporter);
      assert.deepEqual(exporter.tags, [pinned.apache_exporter]);
    }
  });

  await t.step("the registry saw the RHEL-shaped host's pulls from squid; squid its CONNECTs", async () => {
    const logs = await $`docker logs --since ${since} ${REGISTRY.container}`.captureCombined().quiet();
    // The access log (combined format) names the client first: squid's address, for what came through it.
    const fromProxy = logs.combined.split("\n").filter((l) =>
      l.startsWith(`${PROXY.ip} `) && /"GET \/v2\/[^ ]+\/(manifests|blobs)\//.test(l)
    );
    assert.ok(fromProxy.length > 0, `no pull came through squid:\n${logs.combined.slice(-3000)}`);
    const access = await $`docker exec ${PROXY.container} cat /var/log/squid/access.log`.text();
    assert.match(access, /CONNECT quay\.io:443/, access.slice(-2000));
    const hostIp = info.hosts.find((h) => h.name === rhel)!.networkAddress;
    assert.ok(
      access.split("\n").some((l) => l.includes(hostIp) && l.includes("CONNECT quay.io:443")),
      `squid's CONNECTs come from ${rhel} (${hostIp}):\n${access.slice(-2000)}`,
    );
  });

  await t.step(
    "squid stopped: the RHEL-shaped host's pull fails naming the proxy; the other host's deploy succeeds",
    async () => {
      const other = info.hosts.find((h) => h.name !== rhel)!.name;
      // The RHEL-shaped host is asked for an image the registry has and the host doesn't (the oldest
      // line's), so its deploy must pull: through squid, which is down.
      const inv = await labVariant(info, "squid-stopped", (text) =>
        text.replace(
          new RegExp(`^(  ${rhel}:\\n(?:      .*\\n|    .*\\n)*?    vars:\\n)`, "m"),
          `$1      images:\n        prometheus: ${info.images.prometheus_oldest}\n`,
        ));
      await $`docker stop ${PROXY.container}`.quiet();
      try {
        const r = await cli("deploy.ts", ["--inventory", inv, "--json"]);
        assert.notEqual(r.code, 0, r.stdout + r.stderr);
        const hosts = r.json.hosts as { host: string; status: string; error?: string }[];
        const bad = hosts.find((h) => h.host === rhel)!;
        assert.equal(bad.status, "failed", JSON.stringify(bad));
        assert.match(
          JSON.stringify(bad),
          new RegExp(`proxy.*${PROXY.ip.replaceAll(".", "\\.")}:${PROXY.port}`, "s"),
        );
        assert.equal(hosts.find((h) => h.host === other)!.status, "ok", JSON.stringify(hosts));
      } finally {
        await $`docker start ${PROXY.container}`.quiet();
        await Deno.remove(inv).catch(() => {});
      }
    },
  );
});
