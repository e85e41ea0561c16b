/**
 * Issue 14 item 11 on both lab flavours (isaqal09 Debian, isaqal10 RHEL-shaped): Prometheus runs as
 * the system user isa-monitoring, which owns the 0600 files; a host deployed as root (files 0:0, no
 * account, the container as 0:0) is converted by the next deploy, and the run after that changes nothing.
 * Run one host at a time: `deno test -A tests/lab/service_account_test.ts --filter isaqal09`.
 */
import assert from "node:assert/strict";
import Docker from "dockerode";
import { prometheusSpec } from "../../lib/containers/builders.ts";
import { reconcileContainer } from "../../lib/containers/reconcile.ts";
import { specHash } from "../../lib/containers/spec.ts";
import { probeHost } from "../../lib/facts/files_probe.ts";
import { loadInventory } from "../../lib/inventory/load.ts";
import { installPaths } from "../../lib/inventory/paths.ts";
import type { LabInfo } from "../../lib/lab/mod.ts";
import { loopbackAddress } from "../../lib/lab/layout.ts";
import { Ssh } from "../../lib/transport/ssh.ts";
import { cli, lab, onHost } from "../helpers/lab.ts";
import { until } from "../helpers/until.ts";
import { shippedAlerts } from "../../lib/steps/shipped_files.ts";

type Json = {
  hosts: { status: string; steps: { step: string; status: string; changes: { summary: string }[] }[] }[];
};

/** `uid:gid` of the account on the host, asserting it is a no-login system user; null when absent. */
async function account(info: LabInfo, host: string): Promise<string | null> {
  const r = await onHost(info, host, "getent passwd isa-monitoring");
  if (r.code !== 0) return null;
  const [name, , uid, gid, , , shell] = r.out.split(":");
  assert.equal(name, "isa-monitoring");
  assert.equal(shell, "/usr/sbin/nologin");
  assert.ok(Number(uid) > 0 && Number(uid) < 1000, `a system uid: ${uid}`);
  return `${uid}:${gid}`;
}

/** What a deploy changed, by step. */
function changed(json: Json): Record<string, string[]> {
  return Object.fromEntries(
    json.hosts[0].steps.filter((s) => s.changes.length).map((s) => [s.step, s.changes.map((c) => c.summary)]),
  );
}

/** The host as this tool's deploy leaves it: the container as the account, the files its own, the stack serving. */
async function assertDeployed(info: LabInfo, host: string, owner: string) {
  const p = installPaths((await loadInventory(info.inventory)).hosts.find((h) => h.name === host)!.vars);
  const gid = owner.split(":")[1];
  assert.equal((await onHost(info, host, "docker inspect -f '{{.Config.User}}' prometheus")).out, owner);
  // The process itself, as the host's kernel sees it: the account's ids, no capability, no_new_privs.
  const pid = (await onHost(info, host, "docker inspect -f '{{.State.Pid}}' prometheus")).out;
  const status =
    (await onHost(info, host, `grep -E '^(Uid|Gid|CapEff|NoNewPrivs):' /proc/${pid}/status`)).out;
  const [uid] = owner.split(":");
  assert.match(status, new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, "m"), status);
  assert.match(status, new RegExp(`^Gid:\\s+${gid}\\s+${gid}\\s+${gid}\\s+${gid}$`, "m"), status);
  assert.match(status, /^CapEff:\s+0+$/m, status);
  assert.match(status, /^NoNewPrivs:\s+1$/m, status);
  assert.equal(
    (await onHost(
      info,
      host,
      "docker inspect -f '{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}}' prometheus",
    ))
      .out,
    "true [ALL]",
  );
  // Every file holding a secret: 0600, the account's.
  const secrets = [p.key, p.webYml]; // and secrets/*: the self-scrape password in the lab
  const stats =
    (await onHost(info, host, `stat -c '%a %u:%g %n' ${secrets.join(" ")} ${p.prometheusSecretsDir}/*`))
      .out.split("\n");
  assert.equal(stats.length, 3, stats.join("\n"));
  for (const line of stats) assert.match(line, new RegExp(`^600 ${owner} `), line);
  // Public files stay root's; secrets/ only passable by the account's group; the data wholly its own.
  assert.equal(
    (await onHost(info, host, `stat -c '%a %u:%g' ${p.cert} ${p.prometheusYml}`)).out,
    "644 0:0\n644 0:0",
  );
  assert.equal(
    (await onHost(info, host, `stat -c '%a %u:%g' ${p.prometheusSecretsDir}`)).out,
    `710 0:${gid}`,
  );
  assert.equal((await onHost(info, host, `stat -c '%a %u:%g' ${p.prometheusData}`)).out, `700 ${owner}`);
  const foreign = await onHost(info, host, `find ${p.prometheusData} ! -user ${uid} -print | head -5`);
  assert.equal(foreign.out, "", "everything in the data folder is the account's");
}

/** Every target up, seen through the HTTPS endpoint (the TLS key, web.yml and the self-scrape password read). */
async function assertServing(info: LabInfo, host: string) {
  const pem = (await onHost(info, host, "cat /srv/isa/traefik/ssl/cert.pem")).out + "\n";
  const client = Deno.createHttpClient({ caCerts: [pem] });
  const auth = "Basic " + btoa(`${info.user}:${info.password}`);
  try {
    await until(`every target up on ${host}`, 90_000, async () => {
      const r = await fetch(`https://${loopbackAddress(host)}:8443/api/v1/query?query=up`, {
        client,
        headers: { Authorization: auth },
      });
      if (r.status !== 200) {
        await r.body?.cancel();
        return undefined;
      }
      const result = (await r.json()).data.result as { metric: { job: string }; value: [number, string] }[];
      const jobs = new Set(result.map((x) => x.metric.job));
      return result.length >= 2 && jobs.has("prometheus") && result.every((x) => x.value[1] === "1")
        ? true
        : undefined;
    }, 2000);
  } finally {
    client.close();
  }
}

/**
 * Puts the host back as the deploy of the tool before this change left it: every file root's
 * (secrets/ 0700 root), the data root's, Prometheus recreated with `User: 0:0` by the same builder and
 * reconciler (so its spec hash is the one the former code gave it), and no account.
 */
async function asDeployedAsRoot(info: LabInfo, host: string) {
  const h = (await loadInventory(info.inventory)).hosts.find((x) => x.name === host)!;
  const p = installPaths(h.vars);
  const r = await onHost(
    info,
    host,
    `set -e; chown 0:0 ${p.key} ${p.webYml} ${p.prometheusSecretsDir} ${p.prometheusSecretsDir}/*; ` +
      `chmod 700 ${p.prometheusSecretsDir}; chown -R 0:0 ${p.prometheusData}`,
  );
  assert.equal(r.code, 0, r.out);
  const ssh = new Ssh(h);
  await ssh.open();
  try {
    const docker = new Docker({ socketPath: await ssh.dockerSocketPath() });
    const spec = prometheusSpec(h, { alerts: shippedAlerts() !== null }, "0:0");
    const files = (await probeHost(ssh, spec.files)).files;
    await reconcileContainer(docker, spec, specHash(spec, files));
  } finally {
    await ssh.close();
  }
  const del = await onHost(
    info,
    host,
    "userdel isa-monitoring; getent group isa-monitoring >/dev/null && groupdel isa-monitoring; true",
  );
  assert.equal(del.code, 0, del.out);
  assert.equal(await account(info, host), null);
  assert.equal((await onHost(info, host, "docker inspect -f '{{.Config.User}}' prometheus")).out, "0:0");
}

for (const host of ["isaqal09", "isaqal10"]) {
  Deno.test(`${host}: Prometheus runs as isa-monitoring; a host deployed as root is converted, then no-op`, async (t) => {
    const info = await lab();
    const inv = info.inventory;
    const p = installPaths((await loadInventory(inv)).hosts.find((h) => h.name === host)!.vars);

    const first = await cli("deploy.ts", ["--inventory", inv, "--limit", host]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const owner = await account(info, host);
    assert.ok(owner, "the deploy made the account");

    await t.step(
      "the container runs as the account and owns the 0600 files; the endpoint serves",
      async () => {
        await assertDeployed(info, host, owner);
        await assertServing(info, host);
      },
    );

    await t.step(
      "a host deployed as root: the next deploy converts it, listing what it changes",
      async () => {
        await asDeployedAsRoot(info, host);
        const r = await cli("deploy.ts", ["--inventory", inv, "--limit", host, "--json"]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const now = await account(info, host);
        assert.ok(now, "the account is made again");
        const c = changed(r.json as Json);
        assert.deepEqual(Object.keys(c), ["account", "prometheus"], JSON.stringify(c, null, 1));
        assert.match(c.account[0], /^create system user isa-monitoring/);
        const prom = c.prometheus;
        const has = (re: RegExp) => assert.ok(prom.some((s) => re.test(s)), `${re} in\n${prom.join("\n")}`);
        has(
          new RegExp(
            `^set owner 0:${now.split(":")[1]} and mode 710 on ${p.prometheusSecretsDir} \\(was 0:0 700\\)`,
          ),
        );
        has(new RegExp(`^set owner ${now} and mode 700 on ${p.prometheusData} \\(was 0:0 700\\)`));
        has(new RegExp(`^restore ${p.webYml} \\(owner 0:0 → ${now}\\)$`));
        has(new RegExp(`^restore ${p.selfScrapePassword} \\(owner 0:0 → ${now}\\)$`));
        has(new RegExp(`^set mode 0600 owner ${now} on ${p.key} \\(was 600 0:0\\)$`));
        has(/^recreate container prometheus \(spec hash /);
        await assertDeployed(info, host, now);
        await assertServing(info, host);
      },
    );

    await t.step("the run after it changes nothing and recreates nothing", async () => {
      const id = (await onHost(info, host, "docker inspect -f '{{.Id}}' prometheus")).out;
      const r = await cli("deploy.ts", ["--inventory", inv, "--limit", host, "--json"]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.json.hosts[0].status, "ok", JSON.stringify(changed(r.json as Json)));
      assert.equal((await onHost(info, host, "docker inspect -f '{{.Id}}' prometheus")).out, id);
    });

    await t.step(
      "a new web.yml passes promtool run as the account (it reads the 0600 candidate and key)",
      async () => {
        await onHost(info, host, `rm -f ${p.webYml}`);
        const r = await cli("06_prometheus.ts", ["--inventory", inv, "--limit", host, "--json"]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.ok(changed(r.json as Json).prometheus.includes(`create ${p.webYml}`));
        await assertDeployed(info, host, (await account(info, host))!);
        await assertServing(info, host);
      },
    );

    await t.step("uninstall keeps the account with the files it owns; --purge removes both", async () => {
      const owner = (await account(info, host))!;
      const u = await cli("uninstall.ts", ["--inventory", inv, "--limit", host]);
      assert.equal(u.code, 0, u.stdout + u.stderr);
      assert.equal(await account(info, host), owner, "kept: the data is still its own");
      assert.equal((await onHost(info, host, `stat -c %u:%g ${p.prometheusData}`)).out, owner);
      const purge = await cli("uninstall.ts", ["--purge", "--inventory", inv, "--limit", host, "--json"]);
      assert.equal(purge.code, 0, purge.stdout + purge.stderr);
      assert.deepEqual(changed(purge.json as Json).account, [
        "remove system user isa-monitoring and its group",
      ]);
      assert.equal(await account(info, host), null);
      assert.equal(
        (await onHost(info, host, "getent group isa-monitoring || echo no-group")).out,
        "no-group",
        "its group is gone too",
      );
      assert.equal(
        (await onHost(info, host, `test -e ${p.root} && echo present || echo absent`)).out,
        "absent",
      );
      // Back as the other tests expect it.
      const again = await cli("deploy.ts", ["--inventory", inv, "--limit", host]);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      await assertDeployed(info, host, (await account(info, host))!);
      await assertServing(info, host);
    });
  });
}
