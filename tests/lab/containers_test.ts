import assert from "node:assert/strict";
import $ from "dax";
import { join } from "node:path";
import { cli, httpStatus, lab, labVariant, onHost, rebootHost } from "../helpers/lab.ts";
import { until } from "../helpers/until.ts";

const HOST = "isaqal09";
const ADDR = "127.0.10.9";
const NAMES = ["apache_exporter", "prometheus"];

/** Container id and start time of our containers on the host. */
async function containers(info: Awaited<ReturnType<typeof lab>>): Promise<Record<string, string>> {
  const r = await onHost(
    info,
    HOST,
    `docker inspect -f '{{.Name}} {{.Id}} {{.State.StartedAt}} {{.State.Running}}' ${NAMES.join(" ")}`,
  );
  return Object.fromEntries(
    r.out.split("\n").map((l) => {
      const [name, ...rest] = l.split(" ");
      return [name.replace(/^\//, ""), rest.join(" ")];
    }),
  );
}

async function query(
  url: string,
  user: string,
  pass: string,
  pem: string,
): Promise<{ status: number; body: string }> {
  const client = Deno.createHttpClient({ caCerts: [pem] });
  const auth = "Basic " + btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${pass}`)));
  try {
    // A container the deploy has just recreated needs a moment before it listens again.
    return await until(`an answer from ${url}`, 30_000, async () => {
      const r = await fetch(url, { client, headers: { Authorization: auth } });
      return { status: r.status, body: await r.text() };
    });
  } finally {
    client.close();
  }
}

/** openssl s_client options for TLS 1.1 only, at a security level that lets the client offer it. */
const TLS11_CLIENT = ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"];

/**
 * Runs `check` with the port of a local server that speaks only TLS 1.1 (openssl s_server, security
 * level 0, a throwaway self-signed key): the control showing that a client can complete a TLS 1.1
 * handshake at all.
 */
async function withTls11Server(check: (port: number) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "isa-tls11-" });
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  let server: Deno.ChildProcess | undefined;
  try {
    await $`openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=tls11-control -days 1 -keyout ${dir}/key.pem -out ${dir}/cert.pem`
      .quiet();
    server = new Deno.Command("openssl", {
      args: [
        "s_server",
        "-accept",
        `127.0.0.1:${port}`,
        "-tls1_1",
        "-cipher",
        "DEFAULT@SECLEVEL=0",
        "-key",
        `${dir}/key.pem`,
        "-cert",
        `${dir}/cert.pem`,
        "-www",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await until(`openssl s_server listening on 127.0.0.1:${port}`, 10_000, async () => {
      const c = await Deno.connect({ hostname: "127.0.0.1", port }).catch(() => undefined);
      c?.close();
      return c ? true : undefined;
    }, 50);
    await check(port);
  } finally {
    if (server) {
      try {
        server.kill("SIGTERM");
      } catch { /* already gone */ }
      await server.status;
    }
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("container steps on the lab: HTTPS with basic auth, hash-driven recreation, reboot, no leaked password", async (t) => {
  const info = await lab();
  const inv = info.inventory;
  const first = await cli("deploy.ts", ["--inventory", inv, "--limit", HOST]);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const pem = (await onHost(info, HOST, "cat /srv/isa/traefik/ssl/cert.pem")).out + "\n";
  const base = `https://${ADDR}:8443`;

  await t.step(
    "8443: 401 without or with a wrong password, 200 with the right one; 11 states for this host",
    async () => {
      const client = Deno.createHttpClient({ caCerts: [pem] });
      try {
        const anon = await fetch(`${base}/api/v1/query?query=up`, { client });
        await anon.body?.cancel();
        assert.equal(anon.status, 401);
      } finally {
        client.close();
      }
      assert.equal(
        (await query(`${base}/api/v1/query?query=up`, info.user, "wrong-password", pem)).status,
        401,
      );
      // Every answer must be right (200, every series labelled with the inventory name): only the
      // number of states may still grow, until Prometheus has scraped the exporter.
      const states = await until("11 scoreboard states through 8443", 60_000, async () => {
        const r = await query(`${base}/api/v1/query?query=apache_scoreboard`, info.user, info.password, pem);
        assert.equal(r.status, 200, r.body);
        const result = JSON.parse(r.body).data.result as { metric: Record<string, string> }[];
        assert.ok(
          result.every((s) => s.metric.instance === HOST),
          `every series is labelled with the inventory name: ${r.body}`,
        );
        const seen = result.map((s) => s.metric.state).sort();
        return seen.length >= 11 ? seen : undefined;
      }, 2000);
      assert.equal(states.length, 11, states.join(","));
      assert.equal(new Set(states).size, 11, states.join(","));
    },
  );

  await t.step("second run: zero changes, no container recreated", async () => {
    const before = await containers(info);
    const r = await cli("deploy.ts", ["--inventory", inv, "--limit", HOST, "--json"]);
    assert.equal(r.code, 0);
    assert.equal(r.json.hosts[0].status, "ok");
    assert.deepEqual(await containers(info), before);
  });

  await t.step("only the retention changes → only prometheus is recreated", async () => {
    const before = await containers(info);
    const variant = await labVariant(
      info,
      "retention",
      (x) => x.replace("scrape_interval: 5s", "scrape_interval: 5s\n  retention_time: 20d"),
    );
    try {
      const r = await cli("deploy.ts", ["--inventory", variant, "--limit", HOST, "--json"]);
      assert.equal(r.code, 0, r.stdout);
      const changed = r.json.hosts[0].steps.filter((s: { status: string }) => s.status === "changed").map((
        s: { step: string },
      ) => s.step);
      assert.deepEqual(changed, ["prometheus"]);
      const after = await containers(info);
      assert.equal(after.apache_exporter, before.apache_exporter);
      assert.notEqual(
        after.prometheus.split(" ")[0],
        before.prometheus.split(" ")[0],
        "prometheus recreated",
      );
      const args = (await onHost(info, HOST, "docker inspect -f '{{join .Args \" \"}}' prometheus")).out;
      assert.match(args, /--storage\.tsdb\.retention\.time=20d/);
    } finally {
      await Deno.remove(variant);
    }
    const back = await cli("deploy.ts", ["--inventory", inv, "--limit", HOST]);
    assert.equal(back.code, 0);
  });

  await t.step(
    "only the password changes → only the frontend changes; old password refused, new accepted",
    async () => {
      const before = await containers(info);
      const dir = await Deno.makeTempDir({ prefix: "isa-pass-" });
      const secrets = join(dir, "secrets.yml");
      const newPass = `n3w ${crypto.randomUUID().slice(0, 8)}: $'"\\ ✓`;
      await Deno.writeTextFile(
        secrets,
        `frontend:\n  credentials:\n    - user: isa\n      pass: ${JSON.stringify(newPass)}\n`,
        { mode: 0o600 },
      );
      try {
        const r = await cli("deploy.ts", ["--inventory", inv, "--limit", HOST, "--json", "--diff", "-v"], {
          ISA_SECRETS_FILE: secrets,
        });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.ok(
          !r.stdout.includes(newPass) && !r.stderr.includes(newPass),
          "the password is not in the output",
        );
        const after = await containers(info);
        assert.equal(after.apache_exporter, before.apache_exporter, "the exporter is untouched");
        assert.equal(
          (await query(`${base}/api/v1/query?query=up`, "isa", newPass, pem)).status,
          200,
          "hostile new password logs in",
        );
        assert.equal(
          (await query(`${base}/api/v1/query?query=up`, "isa", info.password, pem)).status,
          401,
          "old one refused",
        );
        const again = await cli("deploy.ts", ["--inventory", inv, "--limit", HOST, "--json"], {
          ISA_SECRETS_FILE: secrets,
        });
        assert.equal(again.json.hosts[0].status, "ok", "the deployed hash is kept while it matches");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
      const back = await cli("deploy.ts", ["--inventory", inv, "--limit", HOST]);
      assert.equal(back.code, 0);
      assert.equal((await query(`${base}/api/v1/query?query=up`, info.user, info.password, pem)).status, 200);
    },
  );

  await t.step("a container removed by hand comes back on the next run", async () => {
    await onHost(info, HOST, "docker rm -f apache_exporter >/dev/null");
    const r = await cli("deploy.ts", ["--inventory", inv, "--limit", HOST, "--json"]);
    assert.equal(r.code, 0);
    const exp = r.json.hosts[0].steps.find((s: { step: string }) => s.step === "exporter");
    assert.equal(exp.status, "changed");
    assert.match(
      (await onHost(info, HOST, "docker inspect -f '{{.State.Running}}' apache_exporter")).out,
      /^true$/,
    );
  });

  await t.step(
    "the password is nowhere: -v --diff --json output, ps during the run, docker inspect, plain files",
    async () => {
      const seen: string[] = [];
      const child = new Deno.Command("deno", {
        args: ["run", "-A", "tasks/deploy.ts", "--inventory", inv, "-v", "--diff", "--json"],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      const outP = child.output();
      // Sample the process lists of the controller and of the host while the run goes on.
      for (let i = 0; i < 10; i++) {
        seen.push(await $`ps -eo args`.text());
        seen.push((await onHost(info, HOST, "ps -eo args")).out);
        await new Promise((r) => setTimeout(r, 100));
      }
      const out = await outP;
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, text);
      assert.ok(text.length > 1000, "the verbose run printed its commands");
      assert.ok(!text.includes(info.password), "not in -v --diff --json output");
      for (const ps of seen) assert.ok(!ps.includes(info.password), "not in any argv");
      for (const h of info.hosts) {
        const inspect = await onHost(info, h.name, "docker inspect $(docker ps -aq)");
        assert.ok(inspect.out.includes("quay.io/prometheus/prometheus:"), "inspected our containers");
        assert.ok(!inspect.out.includes(info.password), `not in docker inspect on ${h.name}`);
        const files = await onHost(
          info,
          h.name,
          `grep -rlF -- ${
            JSON.stringify(info.password)
          } /srv /etc /root /tmp /var/log /var/lib/docker/containers 2>/dev/null; true`,
        );
        assert.equal(files.out, "", `no plain file holds it on ${h.name}`);
      }
    },
  );

  await t.step("keys and credential files 0600 isa-monitoring; TLS 1.2+ only", async () => {
    const perms = await onHost(
      info,
      HOST,
      "stat -c '%a %U %n' /srv/isa/traefik/ssl/key.pem /srv/isa/prometheus/web.yml /srv/isa/prometheus/secrets/*",
    );
    for (const line of perms.out.split("\n")) assert.match(line, /^600 isa-monitoring /, line);
    const hashes = await onHost(info, HOST, "grep -rlE '\\$2[aby]\\$' /srv/isa | xargs stat -c '%a %U %n'");
    assert.ok(hashes.out.length > 0);
    for (const line of hashes.out.split("\n")) {
      assert.match(line, /^600 isa-monitoring /, `bcrypt hash: ${line}`);
    }
    const ca = await Deno.makeTempFile({ suffix: ".pem" });
    await Deno.writeTextFile(ca, pem);
    try {
      // TLS 1.1 must be refused by the server, not by our client: Debian 12's OpenSSL refuses TLS 1.1
      // itself at its default security level. So the client lowers it (SECLEVEL=0), and first shows it
      // completes a TLS 1.1 handshake, with a local server that speaks nothing else.
      await withTls11Server(async (port) => {
        const control = await $`openssl s_client -connect 127.0.0.1:${port} ${TLS11_CLIENT}`.stdinText("")
          .stdout("piped").stderr("piped").noThrow();
        assert.equal(control.code, 0, `this client completes a TLS 1.1 handshake: ${control.stderr}`);
        assert.match(control.stdout, /Protocol\s*: TLSv1\.1/);
      });
      const tls11 = await $`openssl s_client -connect ${ADDR}:8443 ${TLS11_CLIENT}`.stdinText("")
        .stdout("piped").stderr("piped").noThrow();
      assert.notEqual(tls11.code, 0, `TLS 1.1 refused:\n${tls11.stdout}`);
      // The server's refusal, in its words: Go's crypto/tls (the frontend) answers a hello that offers
      // nothing above TLS 1.1 with a protocol_version alert (handshake_server.go, readClientHello).
      assert.match(tls11.stderr, /alert protocol version/, tls11.stderr);
      const tls12 = await $`openssl s_client -connect ${ADDR}:8443 -tls1_2 -CAfile ${ca} -verify_return_error`
        .stdinText("").stdout("piped").stderr("piped").noThrow();
      assert.equal(tls12.code, 0, tls12.stderr);
      assert.match(tls12.stdout, /Protocol\s*: TLSv1\.2/);
      assert.match(tls12.stdout, /Verify return code: 0 \(ok\)/, "the host's own certificate verifies");
    } finally {
      await Deno.remove(ca);
    }
  });

  await t.step("after a reboot the containers run again without a deploy", async () => {
    await rebootHost(info, HOST);
    await until("our containers running again after the reboot", 60_000, async () => {
      const state =
        (await onHost(info, HOST, `docker inspect -f '{{.State.Running}}' ${NAMES.join(" ")}`)).out;
      return state === "true\ntrue" ? true : undefined;
    }, 1000);
    // Sanity: the endpoint answers TLS, and without the host's CA the certificate is refused (not any
    // other error: httpStatus throws with the cause, and 0 would mean nothing answered).
    await assert.rejects(
      httpStatus(`https://${ADDR}:8443/`),
      /invalid peer certificate/,
      "untrusted without the host's CA",
    );
    const r = await query(`${base}/api/v1/query?query=up`, info.user, info.password, pem);
    assert.equal(r.status, 200);
  });
});
