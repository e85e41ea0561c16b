/**
 * `deno task grafana` against the real lab (certificates read over SSH from deployed hosts) and a local
 * double of Grafana's HTTP API (tests/grafana_double.ts). No real Grafana is involved.
 */
import assert from "node:assert/strict";
import $ from "dax";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { installPaths } from "../../lib/inventory/paths.ts";
import { UsageError } from "../../lib/base/errors.ts";
import { grafanaTarget, sharedSetting } from "../../lib/grafana/task.ts";
import type { Host } from "../../lib/inventory/host.ts";
import { loadInventory } from "../../lib/inventory/load.ts";
import type { LabInfo } from "../../lib/lab/mod.ts";
import { cli, lab, labVariant } from "../helpers/lab.ts";
import { fakeGrafana, type GrafanaDouble } from "../helpers/grafana_double.ts";

const ORG = "EPFL IS-Academia";
const TOKEN = `glsa_labTest_${crypto.randomUUID().replaceAll("-", "")}`;

/** The lab's secrets plus `extra`, as a 0600 file under .lab/ (the loader refuses wider modes). */
async function secretsVariant(info: LabInfo, name: string, extra: Record<string, unknown>): Promise<string> {
  const base = parse(await Deno.readTextFile(join(info.dir, "secrets.yml")));
  const file = join(info.dir, `secrets-${name}.yml`);
  await Deno.writeTextFile(file, stringify({ ...base, ...extra }), { mode: 0o600 });
  await Deno.chmod(file, 0o600);
  return file;
}

/** A lab inventory variant publishing to `grafanaUrl`, with secrets from `secretsFile`. */
function inventoryVariant(
  info: LabInfo,
  name: string,
  grafanaUrl: string,
  secretsFile: string,
  edit: (doc: Record<string, Record<string, unknown>>) => void = () => {},
): Promise<string> {
  return labVariant(info, name, (text) => {
    const doc = parse(text);
    doc.secrets = { file: secretsFile };
    doc.vars.grafana = { url: grafanaUrl, org: ORG, dashboard_uid: "isaqal" };
    // The Grafana double answers plain http on 127.0.0.1: the lab's explicit opt-in.
    doc.vars.insecure_http_for_lab = true;
    edit(doc);
    return stringify(doc);
  });
}

/** The certificate on a host, byte for byte. */
async function hostCert(info: LabInfo, host: string, path: string): Promise<string> {
  // Not .text(): it trims, and the comparison is byte for byte.
  const r = await $`ssh -F ${info.sshConfig} -o BatchMode=yes ${host} cat ${path}`.stdout("piped");
  return r.stdout;
}

Deno.test("deno task grafana publishes the lab's data sources and dashboard", async (t) => {
  const info = await lab();
  const names = info.hosts.map((h) => h.name);
  const deployed = await cli("deploy.ts", ["--inventory", info.inventory]);
  assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
  const hosts = (await loadInventory(info.inventory)).hosts;
  const pems = new Map<string, string>();
  for (const h of hosts) pems.set(h.name, await hostCert(info, h.name, installPaths(h.vars).cert));

  const secrets = await secretsVariant(info, "grafana-test", { grafana: { token: TOKEN } });
  const files = [secrets];
  const doubles: GrafanaDouble[] = [];
  const double = (token = TOKEN, org = ORG) => {
    const g = fakeGrafana({ token, org });
    doubles.push(g);
    return g;
  };
  const variant = async (name: string, url: string, edit?: Parameters<typeof inventoryVariant>[4]) => {
    const f = await inventoryVariant(info, name, url, secrets, edit);
    files.push(f);
    return f;
  };
  const grafana = (inv: string, ...args: string[]) => cli("grafana.ts", ["--inventory", inv, ...args]);

  try {
    const g = double();
    const inv = await variant("grafana", g.url);

    await t.step(
      "first run: one data source per host, with its real certificate, and the dashboard",
      async () => {
        const r = await grafana(inv);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.deepEqual([...g.datasources.keys()].sort(), names.map((n) => `isa-${n}`));
        for (const h of hosts) {
          const uid = `isa-${h.name}`;
          const ds = g.datasources.get(uid)!;
          assert.equal(ds.name, `ISA qual ${h.name}`);
          assert.equal(ds.url, `https://${h.vars.public_address}:${h.vars.ports.https}`);
          assert.equal(ds.basicAuthUser, info.user);
          assert.equal((ds.jsonData as Record<string, unknown>).serverName, h.vars.fqdn);
          assert.equal(
            g.secure.get(uid)!.tlsCACert,
            pems.get(h.name),
            `${h.name}: tlsCACert is the host's PEM`,
          );
          assert.equal(g.secure.get(uid)!.basicAuthPassword, info.password);
          assert.match(r.stdout, new RegExp(`datasource +ISA qual ${h.name} \\(${uid}\\) +create`));
        }
        assert.equal(g.dashboards.get("isaqal")?.dashboard.title, "isaqal");
        assert.match(r.stdout, /dashboard +isaqal \(isaqal\) +create/);
        assert.match(r.stdout, /RECAP grafana 2\/2 host\(s\) read; create 3, update 0, unchanged 0/);
      },
    );

    await t.step("second run writes nothing (GETs only)", async () => {
      g.requests.length = 0;
      const r = await grafana(inv);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual([...new Set(g.requests.map((q) => q.method))], ["GET"]);
      assert.equal(g.requests.length, 1 + names.length + 1);
      assert.match(r.stdout, /create 0, update 0, unchanged 3/);
      assert.doesNotMatch(r.stdout, /\) +(create|update)/);
    });

    await t.step("--check reads only and says what it would do", async () => {
      const fresh = double();
      // Under the permissions deno.json declares for the grafana task, as `deno task grafana` runs it.
      const r = await cli(
        "grafana.ts",
        ["--inventory", await variant("grafana-check", fresh.url), "--check"],
        {},
        {
          declared: true,
        },
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual([...new Set(fresh.requests.map((q) => q.method))], ["GET"]);
      assert.equal(fresh.datasources.size, 0);
      assert.equal(fresh.dashboards.size, 0);
      assert.match(r.stdout, /would create 3, would update 0, unchanged 0/);
      assert.match(r.stdout, /check mode: nothing was changed/);
    });

    await t.step("a changed field is named, never its value", async () => {
      const stored = g.datasources.get(`isa-${names[0]}`)!;
      stored.url = "https://elsewhere.example:8443";
      const r = await grafana(inv, "--limit", names[0]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`ISA qual ${names[0]} \\(isa-${names[0]}\\) +update: url\\n`));
      assert.doesNotMatch(r.stdout, /elsewhere/);
      assert.equal(g.datasources.get(`isa-${names[0]}`)!.url, `https://${hosts[0].vars.public_address}:8443`);
    });

    await t.step("bad token → exit 2, 'bad token'; wrong organisation → exit 2", async () => {
      const other = double("another-token-entirely");
      const r = await grafana(await variant("grafana-badtoken", other.url));
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /bad token/);
      assert.ok(!(r.stdout + r.stderr).includes(TOKEN));
      const wrongOrg = double(TOKEN, "Someone Else");
      const o = await grafana(await variant("grafana-org", wrongOrg.url));
      assert.equal(o.code, 2, o.stdout + o.stderr);
      assert.match(o.stderr, /organisation "EPFL IS-Academia" not found for this token/);
    });

    await t.step("Grafana unreachable → exit 2 naming the URL", async () => {
      const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (l.addr as Deno.NetAddr).port;
      l.close();
      const r = await grafana(await variant("grafana-down", `http://127.0.0.1:${port}`));
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`Grafana unreachable at http://127\\.0\\.0\\.1:${port}`));
    });

    await t.step("-v --json: requests traced, the token and the lab password appear nowhere", async () => {
      const fresh = double();
      const r = await grafana(await variant("grafana-verbose", fresh.url), "-v", "--json");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.json.exitCode, 0);
      assert.deepEqual(r.json.actions.map((a: { action: string }) => a.action), [
        "create",
        "create",
        "create",
      ]);
      assert.deepEqual(r.json.hosts.map((h: { host: string }) => h.host), names);
      // The trace is there (on stderr), with the secure values masked.
      assert.match(r.stderr, /POST \/api\/datasources → 200/);
      assert.match(r.stderr, /"Authorization":"Bearer \*\*\*"/);
      assert.match(r.stderr, /"basicAuthPassword":"\*\*\*"/);
      const plain = await grafana(await variant("grafana-verbose", fresh.url), "-v");
      for (const out of [r.stdout, r.stderr, plain.stdout, plain.stderr]) {
        assert.ok(!out.includes(TOKEN), "the Grafana token leaked");
        assert.ok(!out.includes(info.password), "the lab password leaked");
      }
    });

    await t.step("unreachable host → exit 4; the others are still published", async () => {
      const fresh = double();
      // Our own listener, which drops every connection at once (as a host whose sshd is gone behind a
      // proxy does), not port 22: a machine whose own sshd listens on every address would answer there.
      const l = Deno.listen({ hostname: "127.0.10.99", port: 0 });
      const port = (l.addr as Deno.NetAddr).port;
      let tries = 0;
      const dropping = (async () => {
        for await (const conn of l) {
          tries++;
          conn.close();
        }
      })();
      const inv4 = await variant("grafana-unreachable", fresh.url, (doc) => {
        doc.hosts.isaqal99 = { address: "127.0.10.99", port, vars: { public_address: "127.0.10.99" } };
      });
      const r = await grafana(inv4, "--json").finally(() => l.close());
      await dropping.catch(() => {});
      // The hosts' statuses first: CI shows only the start of a long message.
      assert.equal(r.code, 4, `hosts: ${JSON.stringify(r.json?.hosts)}\n${r.stdout}${r.stderr}`);
      const h99 = r.json.hosts.find((h: { host: string }) => h.host === "isaqal99");
      assert.equal(h99.status, "unreachable");
      assert.ok(tries >= 1, "the task tried isaqal99's address");
      assert.deepEqual([...fresh.datasources.keys()].sort(), names.map((n) => `isa-${n}`));
    });

    await t.step("bad input → exit 1 before any request: no vars.grafana, no token", async () => {
      const r = await grafana(info.inventory);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(`${info.inventory.replaceAll(".", "\\.")}: vars\\.grafana is not set`),
      );
      const fresh = double();
      const noToken = await secretsVariant(info, "grafana-notoken", {});
      files.push(noToken);
      const inv1 = await labVariant(info, "grafana-notoken", (text) => {
        const doc = parse(text);
        doc.secrets = { file: noToken };
        doc.vars.grafana = { url: fresh.url, org: ORG, dashboard_uid: "isaqal" };
        doc.vars.insecure_http_for_lab = true;
        return stringify(doc);
      });
      files.push(inv1);
      const n = await grafana(inv1);
      assert.equal(n.code, 1);
      assert.match(n.stderr, /have no grafana\.token/);
      assert.equal(fresh.requests.length, 0);
    });
  } finally {
    for (const g of doubles) await g.close();
    for (const f of new Set(files)) await Deno.remove(f).catch(() => {});
  }
});

Deno.test("grafana task helpers: one setting per deployment", () => {
  const host = (name: string, grafana: unknown) => ({ name, vars: { grafana } }) as unknown as Host;
  const g = { url: "https://g.example", org: ORG, dashboard_uid: "isaqal" };
  const inv = { file: "inventory/qual.yml" };
  assert.deepEqual(grafanaTarget(inv, [host("a", g), host("b", { ...g })]), g);
  assert.throws(
    () => grafanaTarget(inv, [host("a", g), host("b", { ...g, org: "x" })]),
    (e: Error) => e instanceof UsageError && /vars\.grafana differs between a and b/.test(e.message),
  );
  assert.throws(
    () => grafanaTarget(inv, [host("a", null)]),
    /inventory\/qual\.yml: vars\.grafana is not set/,
  );
  assert.equal(sharedSetting(inv, [host("a", 1)], "x", () => null), null);
});
