/**
 * Alert delivery (issue 17), on the lab: every lab host's Prometheus sends its alerts to a real
 * Alertmanager (Debian's package, HTTPS with a lab CA given as `alerting.ca_file`, basic auth from the
 * secrets), whose webhook is a listener this test runs on the lab network's gateway. Watchdog arrives
 * from each host; stopping Apache on one host makes ApacheDown arrive for that host only.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { installPaths } from "../../lib/inventory/paths.ts";
import { loadInventory } from "../../lib/inventory/load.ts";
import { removeAlertmanager, startAlertmanager } from "../../lib/lab/alertmanager.ts";
import { NETWORK } from "../../lib/lab/layout.ts";
import { randomPassword } from "../../lib/lab/secrets.ts";
import { durationMs } from "../../lib/render/prometheus_config.ts";
import { cli, lab, labVariant, onHost } from "../helpers/lab.ts";
import { until } from "../helpers/until.ts";

/** Apache's unit on a Debian (apache2) or RHEL-shaped (httpd) lab host, as a shell expression. */
const APACHE_UNIT = "$(systemctl cat httpd >/dev/null 2>&1 && echo httpd || echo apache2)";

/** One alert as the webhook got it, with when it got it. */
interface Received {
  at: number;
  status: string;
  labels: Record<string, string>;
  startsAt: string;
}

/** A webhook receiver on the lab network's gateway (this machine), recording every alert. */
function webhook(): { url: string; got: Received[]; close: () => Promise<void> } {
  const got: Received[] = [];
  const server = Deno.serve({ hostname: NETWORK.gateway, port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    const at = Date.now();
    for (const a of body.alerts ?? []) {
      got.push({ at, status: a.status, labels: a.labels, startsAt: a.startsAt });
    }
    return new Response("ok");
  });
  const url = `http://${NETWORK.gateway}:${(server.addr as Deno.NetAddr).port}/alerts`;
  return { url, got, close: () => server.shutdown() };
}

Deno.test("alerting: Watchdog from every lab host and ApacheDown for a stopped Apache reach a real Alertmanager", async (t) => {
  const info = await lab();
  const names = info.hosts.map((h) => h.name);
  const [quiet, stopped] = names;
  const user = "isa-prometheus";
  const password = randomPassword(32);
  const dir = await Deno.makeTempDir({ prefix: "isa-alertmanager-" });
  const hook = webhook();
  const files: string[] = [];
  let apacheStopped = false;
  const evaluation = durationMs(parse(await Deno.readTextFile(info.inventory)).vars.scrape_interval);
  try {
    const am = await startAlertmanager({ dir, webhookUrl: hook.url, user, password });
    const ca = await Deno.readTextFile(am.caFile);
    const client = Deno.createHttpClient({ caCerts: [ca] });
    const ready = async (auth?: string) => {
      const r = await fetch(`${am.url}/-/ready`, {
        client,
        headers: auth ? { authorization: auth } : {},
        signal: AbortSignal.timeout(3000),
      });
      await r.body?.cancel();
      return r.status;
    };
    const auth = `Basic ${btoa(`${user}:${password}`)}`;
    await until("the Alertmanager to be ready", 30_000, async () => (await ready(auth)) === 200 || undefined);
    assert.equal(await ready(), 401, "the Alertmanager requires basic auth");
    // Its certificate is only trusted through the lab CA: without it, TLS verification fails.
    await assert.rejects(fetch(`${am.url}/-/ready`, { signal: AbortSignal.timeout(3000) }));
    client.close();

    const secrets = join(info.dir, "secrets-alerting-test.yml");
    const base = parse(await Deno.readTextFile(join(info.dir, "secrets.yml")));
    await Deno.writeTextFile(secrets, stringify({ ...base, alerting: { username: user, password } }), {
      mode: 0o600,
    });
    await Deno.chmod(secrets, 0o600);
    files.push(secrets);
    const inventory = await labVariant(info, "alerting", (text) => {
      const doc = parse(text);
      doc.secrets = { file: secrets };
      doc.vars.alerting = { alertmanagers: [am.url], auth: "basic", ca_file: am.caFile };
      // ApacheDown waits 5 minutes in production; the lab cuts every for: to 10 s.
      doc.vars.alert_for_max = "10s";
      return stringify(doc);
    });
    files.push(inventory);

    await t.step("Watchdog arrives from every host, with the host's labels", async () => {
      const r = await cli("deploy.ts", ["--inventory", inventory]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(!(r.stdout + r.stderr).includes(password), "deploy output shows the Alertmanager password");
      const deployed = Date.now();
      // Prometheus drops alerts that fire before its Alertmanager discovery reports (batched every 5 s,
      // discovery/manager.go updatert) and resends a firing alert only after --rules.alert.resend-delay,
      // which our spec sets to one evaluation interval when alerting is on (default 1m).
      const first = await until(`Watchdog from ${names.join(", ")}`, 60_000, () => {
        const w = names.map((n) =>
          hook.got.find((a) => a.labels.alertname === "Watchdog" && a.labels.host === n)
        );
        return Promise.resolve(w.every((x) => x) ? w as Received[] : undefined);
      }).catch((e) => {
        console.log("received:", JSON.stringify(hook.got.map((a) => a.labels)));
        throw e;
      });
      for (const [i, n] of names.entries()) {
        const a = first[i];
        assert.deepEqual(
          { ...a.labels },
          { alertname: "Watchdog", severity: "heartbeat", instance: n, host: n, deployment: "qual" },
        );
        assert.equal(a.status, "firing");
        const started = Date.parse(
          (await onHost(info, n, "docker inspect -f '{{.State.StartedAt}}' prometheus")).out,
        );
        console.log(
          `${n}: Prometheus started → Watchdog firing ${Date.parse(a.startsAt) - started} ms → ` +
            `at the webhook ${a.at - started} ms (${a.at - deployed} ms after the deploy ended)`,
        );
        // The first evaluation comes within one interval of the start, and the Watchdog is sent at once
        // (the resend delay our spec sets is one interval). Without it, Prometheus' default resend delay
        // (1 min) would hold it back: 6 intervals (30 s) tell the two apart with room for a slow machine
        // (a cold first deploy under a loaded CI run took 15.2 s, just over 3 intervals).
        assert.ok(
          a.at - started <= 6 * evaluation,
          `${n}: Watchdog at the webhook ${
            a.at - started
          } ms after Prometheus started (> 6 × ${evaluation} ms)`,
        );
      }
    });

    await t.step("the Alertmanager password is only in a 0600 file on each host", async () => {
      for (const h of (await loadInventory(inventory)).hosts) {
        const p = installPaths(h.vars);
        const yml = await onHost(info, h.name, `cat ${p.prometheusYml}`);
        assert.ok(!yml.out.includes(password), `${h.name}: prometheus.yml holds the password`);
        assert.match(yml.out, /password_file: \/etc\/prometheus\/secrets\/alerting_password/);
        assert.match(yml.out, /ca_file: \/etc\/prometheus\/alerting_ca.pem/);
        const inspect = await onHost(info, h.name, "docker inspect prometheus");
        assert.ok(!inspect.out.includes(password), `${h.name}: docker inspect prometheus shows the password`);
        const file = await onHost(info, h.name, `stat -c '%a %U:%G' ${p.alertingPassword}`);
        assert.equal(file.out, "600 isa-monitoring:isa-monitoring", `${h.name}: ${p.alertingPassword}`);
      }
    });

    await t.step(`ApacheDown arrives for ${stopped} only when its Apache stops`, async () => {
      const since = Date.now();
      const stop = await onHost(info, stopped, `systemctl stop ${APACHE_UNIT}`);
      assert.equal(stop.code, 0, stop.out);
      apacheStopped = true;
      const down = await until(
        `ApacheDown for ${stopped}`,
        90_000,
        () =>
          Promise.resolve(
            hook.got.find((a) =>
              a.at >= since && a.labels.alertname === "ApacheDown" && a.status === "firing"
            ),
          ),
      );
      console.log(
        `ApacheDown for ${down.labels.instance} at the webhook ${down.at - since} ms after the stop`,
      );
      assert.equal(down.labels.instance, stopped);
      assert.equal(down.labels.host, stopped);
      assert.equal(down.labels.severity, "critical");
      // Once Prometheus knows its Alertmanager, a new alert reaches the webhook within two evaluation
      // intervals of the evaluation that fired it.
      const pipeline = down.at - Date.parse(down.startsAt);
      console.log(`ApacheDown: fired → webhook ${pipeline} ms (evaluation interval ${evaluation} ms)`);
      assert.ok(pipeline <= 2 * evaluation, `${pipeline} ms from firing to the webhook`);
      // Another evaluation round for the healthy host to (wrongly) fire too.
      await new Promise((r) => setTimeout(r, 3 * evaluation));
      // Only ApacheDown and the critical ones: ApacheRestarted (info) may fire for a host whose Apache
      // another test restarted within ten minutes.
      const others = hook.got.filter((a) =>
        a.labels.severity === "critical" && a.labels.instance !== stopped
      );
      assert.deepEqual(others, [], `critical alerts for ${quiet}`);
      const mine = hook.got.filter((a) => a.labels.alertname === "ApacheDown");
      assert.ok(mine.every((a) => a.labels.instance === stopped));
    });
  } finally {
    if (apacheStopped) await onHost(info, stopped, `systemctl start ${APACHE_UNIT}`);
    const back = await cli("deploy.ts", ["--inventory", info.inventory]);
    await removeAlertmanager();
    await hook.close();
    for (const f of files) await Deno.remove(f).catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    assert.equal(back.code, 0, `redeploy of the plain lab inventory: ${back.stdout}${back.stderr}`);
    // The plain inventory has no alerting: its credential and CA must not linger on the hosts.
    for (const h of (await loadInventory(info.inventory)).hosts) {
      const p = installPaths(h.vars);
      const left = await onHost(info, h.name, `ls ${p.alertingPassword} ${p.alertingCa} 2>/dev/null | wc -l`);
      assert.equal(left.out, "0", `${h.name}: alerting files left behind`);
    }
  }
});
