/**
 * On the lab: a deploy returns only once what it (re)created serves; a Prometheus image whose
 * entrypoint fails leaves the previous container running with its old files; containers of someone
 * else's that have our names are never touched.
 */
import assert from "node:assert/strict";
import { cli, lab, labVariant, onHost } from "../helpers/lab.ts";
import { ensureFailingPrometheusImage, FAILING_FLAG } from "../../lib/lab/app_images.ts";

const HOST = "isaqal09";
const ADDR = "127.0.10.9";
const OTHER = "isaqal10";

/** Status of one GET / on the HTTPS endpoint, trusting the host's certificate; 0 when refused. */
async function httpsStatus(url: string, pem: string): Promise<number> {
  const client = Deno.createHttpClient({ caCerts: [pem] });
  try {
    const r = await fetch(url, { client, signal: AbortSignal.timeout(4000) });
    await r.body?.cancel();
    return r.status;
  } catch {
    return 0;
  } finally {
    client.close();
  }
}

async function inspect(info: Awaited<ReturnType<typeof lab>>, host: string, name: string): Promise<string> {
  return (await onHost(
    info,
    host,
    `docker inspect -f '{{.Id}} {{.State.Running}} {{.Config.Image}}' ${name} 2>/dev/null || echo none`,
  )).out;
}

Deno.test("readiness and rollback on the lab: 401 at once after a recreation; a failing Prometheus image puts the previous one back", async (t) => {
  const info = await lab();
  const inv = info.inventory;
  const first = await cli("deploy.ts", ["--inventory", inv, "--limit", HOST]);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const pem = (await onHost(info, HOST, "cat /srv/isa/traefik/ssl/cert.pem")).out + "\n";

  await t.step(
    "right after a deploy that recreated Prometheus returns, 8443 answers 401 (no sleep)",
    async () => {
      const before = await inspect(info, HOST, "prometheus");
      const variant = await labVariant(
        info,
        "readiness",
        (x) => x.replace("scrape_interval: 5s", "scrape_interval: 5s\n  retention_time: 16d"),
      );
      try {
        const r = await cli("deploy.ts", ["--inventory", variant, "--limit", HOST]);
        const status = await httpsStatus(`https://${ADDR}:8443/`, pem);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.notEqual(
          (await inspect(info, HOST, "prometheus")).split(" ")[0],
          before.split(" ")[0],
          "recreated",
        );
        assert.equal(status, 401, "the endpoint answered at once");
        assert.match(r.stdout, /prometheus: ready after [\d.]+s \(Prometheus answers \/-\/ready\)/);
      } finally {
        await Deno.remove(variant);
      }
      const back = await cli("deploy.ts", ["--inventory", inv, "--limit", HOST]);
      assert.equal(back.code, 0, back.stdout + back.stderr);
      assert.equal(await httpsStatus(`https://${ADDR}:8443/`, pem), 401);
    },
  );

  await t.step(
    "a Prometheus image whose entrypoint fails: exit 2 with its logs; the previous one runs with its old files",
    async () => {
      // HOST runs the oldest line (lib/lab/layout.ts); the failing image is made from that one, and
      // pushed (only the controller's engine has it, as for any image no registry holds).
      const failing = await ensureFailingPrometheusImage(info.images.prometheus_oldest);
      const before = await inspect(info, HOST, "prometheus");
      assert.match(before, / true /);
      const yml = (await onHost(info, HOST, "cat /srv/isa/prometheus/prometheus.yml")).out;
      const variant = await labVariant(
        info,
        "failing",
        (x) =>
          x.replace(`prometheus: ${info.images.prometheus_oldest}`, `prometheus: ${failing}`)
            .replace("image_delivery: pull", "image_delivery: push")
            .replace("scrape_interval: 5s", "scrape_interval: 7s"),
      );
      try {
        const r = await cli("deploy.ts", ["--inventory", variant, "--limit", HOST]);
        const out = r.stdout + r.stderr;
        assert.equal(r.code, 2, out);
        assert.match(
          out,
          /container prometheus keeps restarting; exit code 1|container prometheus stopped \(exited\); exit code 1/,
        );
        assert.ok(
          out.includes(`unknown long flag '${FAILING_FLAG}'`),
          `its log line is in the output:\n${out}`,
        );
        assert.match(out, /the previous prometheus container is running again/);
      } finally {
        await Deno.remove(variant);
      }
      assert.equal(
        await inspect(info, HOST, "prometheus"),
        before,
        "the very same container, running, old image",
      );
      assert.equal(
        (await onHost(info, HOST, "cat /srv/isa/prometheus/prometheus.yml")).out,
        yml,
        "the configuration it ran with",
      );
      assert.equal(
        (await onHost(
          info,
          HOST,
          "docker ps -a --format '{{.Names}}' | grep -c isa-previous; ls -a /srv/isa/prometheus /srv/isa/prometheus/secrets | grep -c isa-prev",
        )).out,
        "0\n0",
        "no container or copy left aside",
      );
      const v = await cli("verify_metrics.ts", ["--inventory", inv, "--limit", HOST, "--wait", "60s"]);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      const next = await cli("deploy.ts", ["--inventory", inv, "--limit", HOST, "--json"]);
      assert.equal(next.code, 0, next.stdout + next.stderr);
      assert.equal(
        next.json.hosts[0].status,
        "ok",
        "the host is exactly as the normal deploy wants it: nothing to do",
      );
    },
  );
});

Deno.test("foreign containers with our names on the lab: a clear error, never touched, by deploy and uninstall", async (t) => {
  const info = await lab();
  const inv = info.inventory;
  const first = await cli("deploy.ts", ["--inventory", inv, "--limit", OTHER]);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const image = info.images.prometheus;
  try {
    await t.step("a foreign prometheus: deploy fails naming it, and leaves it as it was", async () => {
      await onHost(info, OTHER, "docker rm -f prometheus >/dev/null");
      const made = await onHost(
        info,
        OTHER,
        `docker create --name prometheus ${image} >/dev/null && echo ok`,
      );
      assert.equal(made.out, "ok", made.out);
      const before = await inspect(info, OTHER, "prometheus");
      const r = await cli("deploy.ts", ["--inventory", inv, "--limit", OTHER]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stdout, /a container named prometheus exists that isa-monitoring did not create/);
      assert.equal(await inspect(info, OTHER, "prometheus"), before, "not started, renamed or removed");
    });

    await t.step(
      "a foreign traefik: the native frontend's switch fails naming it, and leaves it",
      async () => {
        await onHost(info, OTHER, "docker rm -f prometheus >/dev/null");
        await onHost(info, OTHER, `docker create --name traefik ${image} >/dev/null`);
        const before = await inspect(info, OTHER, "traefik");
        const r = await cli("deploy.ts", ["--inventory", inv, "--limit", OTHER]);
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stdout, /a container named traefik exists that isa-monitoring did not create/);
        assert.equal(await inspect(info, OTHER, "traefik"), before);
      },
    );

    await t.step("uninstall removes ours and says it leaves the foreign one alone", async () => {
      const r = await cli("uninstall.ts", ["--inventory", inv, "--limit", OTHER]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /leaving container traefik alone: isa-monitoring did not create it/);
      assert.match(await inspect(info, OTHER, "traefik"), / false /, "still there");
      assert.equal(await inspect(info, OTHER, "apache_exporter"), "none", "ours is gone");
    });
  } finally {
    await onHost(info, OTHER, "docker rm -f traefik prometheus >/dev/null 2>&1; true");
    const back = await cli("deploy.ts", ["--inventory", inv, "--limit", OTHER]);
    assert.equal(back.code, 0, back.stdout + back.stderr);
  }
});
