import assert from "node:assert/strict";
import $ from "dax";
import Docker from "dockerode";
import {
  certificateNeeds,
  certificateReason,
  certificateState,
  subjectAltNames,
} from "../../lib/steps/certificate.ts";
import { makeCertificate } from "../../lib/commands/certificate.ts";
import { fileNeedsScript, parseFileNeeds, parseProbe, probeScript } from "../../lib/facts/files_probe.ts";
import { exporterSpec, prometheusSpec, traefikSpec } from "../../lib/containers/builders.ts";
import {
  containerState,
  decideAction,
  ensureNetwork,
  reconcileContainer,
  removeContainer,
} from "../../lib/containers/reconcile.ts";
import { type ContainerSpec, specHash } from "../../lib/containers/spec.ts";
import type { DockerFacts, Facts } from "../../lib/facts/facts.ts";
import type { Host } from "../../lib/inventory/host.ts";
import type { Vars } from "../../lib/inventory/vars.ts";
import { ensureTinyImage, SLEEPER_C } from "../helpers/tiny_images.ts";
import { SPEC_HASH_LABEL } from "../../lib/base/names.ts";
import { PROBE_FUNCTIONS, sections } from "../../lib/base/probe_sections.ts";

/** The `uid:gid` of a host's system user isa-monitoring, as the container steps pass it. */
const USER = "997:995";

function testHost(over: Partial<Vars> = {}): Host {
  const vars: Vars = {
    install_dir: "/srv/isa",
    frontend: "traefik",
    dashboard: true,
    image_delivery: "pull",
    images: {
      apache_exporter: "lusitaniae/apache-exporter:v1.0.10",
      prometheus: "prom/prometheus:v3.5.0",
      traefik: "traefik:v3.5",
    },
    ports: { https: 8443, dashboard: 8080 },
    fqdn: "isaqal09.epfl.ch",
    public_address: "",
    retention_time: "15d",
    retention_size: "2GB",
    scrape_interval: "15s",
    docker_network: "isa-monitoring",
    docker_subnet: null,
    allowed_sources: [],
    limits: {
      apache_exporter: { memory_mb: 64, cpus: 0.25 },
      prometheus: { memory_mb: 1024, cpus: 1 },
      traefik: { memory_mb: 128, cpus: 0.5 },
    },
    remote_write: null,
    grafana: null,
    insecure_http_for_lab: false,
    docker_repo: "",
    docker_allow_erasing: false,
    allow_untested_system: false,
    proxy: null,
    alerting: null,
    alert_for_max: null,
    ...over,
  };
  return {
    name: "isaqal09",
    deployment: "qual",
    groups: [],
    ssh: { address: "192.0.2.9" },
    vars,
    pos: { file: "test", line: 1, col: 1 },
  };
}

const docker0: DockerFacts = {
  installed: true,
  clientMissing: false,
  running: true,
  version: "27.0.0",
  bridgeGateway: "172.17.0.1",
  networks: ["172.17.0.0/16"],
  networkNames: ["bridge"],
  networkSubnets: { bridge: ["172.17.0.0/16"], "isa-monitoring": ["172.18.0.0/16"] },
  networkGateways: { bridge: ["172.17.0.1"], "isa-monitoring": ["172.18.0.1"] },
  networkBridges: { bridge: "docker0" },
  daemonJson: null,
  package: null,
};
const facts: Pick<Facts, "docker"> = { docker: docker0 };

/** Reads nothing: every mounted file with fixed contents. */
function contents(
  spec: ContainerSpec,
  over: Record<string, string | null> = {},
): Record<string, string | null> {
  return Object.fromEntries(spec.files.map((f) => [f, over[f] !== undefined ? over[f] : `content of ${f}`]));
}

function allHashes(host: Host) {
  const specs = [
    exporterSpec(host, facts),
    prometheusSpec(host, { alerts: true }, USER),
    traefikSpec(host, USER),
  ];
  return specs.map((s) => specHash(s, contents(s)));
}

Deno.test("spec hash: stable for equal input, and retention changes only Prometheus'", () => {
  const a = allHashes(testHost());
  assert.deepEqual(allHashes(testHost()), a);
  const b = allHashes(testHost({ retention_time: "30d" }));
  assert.equal(b[0], a[0]);
  assert.notEqual(b[1], a[1]);
  assert.equal(b[2], a[2]);
  const c = allHashes(testHost({ retention_size: "5GB" }));
  assert.deepEqual([c[0] === a[0], c[1] === a[1], c[2] === a[2]], [true, false, true]);
});

Deno.test("spec hash: a mounted file's content changes the hash; an unrelated file does not", () => {
  const spec = prometheusSpec(testHost(), { alerts: true }, USER);
  const base = specHash(spec, contents(spec));
  assert.notEqual(specHash(spec, contents(spec, { "/srv/isa/prometheus/prometheus.yml": "other" })), base);
  assert.notEqual(specHash(spec, contents(spec, { "/srv/isa/prometheus/alerts.yml": null })), base);
  assert.equal(specHash(spec, { ...contents(spec), "/srv/isa/traefik/htpasswd": "x" }), base);
  assert.throws(() => specHash(spec, {}), /no content given/);
  // The hash label itself is not part of the hashed input.
  const labelled = structuredClone(spec);
  labelled.create.Labels = { ...labelled.create.Labels, [SPEC_HASH_LABEL]: "whatever" };
  assert.equal(specHash(labelled, contents(spec)), base);
});

Deno.test("spec hash: a password change (htpasswd) touches only Traefik; web.yml only native Prometheus", () => {
  const t = testHost();
  const tr = traefikSpec(t, USER);
  assert.notEqual(
    specHash(tr, contents(tr, { "/srv/isa/traefik/htpasswd": "new" })),
    specHash(tr, contents(tr)),
  );
  const pr = prometheusSpec(t, { alerts: false }, USER);
  assert.ok(!pr.files.includes("/srv/isa/traefik/htpasswd"));
  assert.ok(
    !pr.files.includes("/srv/isa/prometheus/web.yml"),
    "web.yml only matters behind the native frontend",
  );
  const native = prometheusSpec(testHost({ frontend: "native" }), { alerts: false }, USER);
  assert.ok(native.files.includes("/srv/isa/prometheus/web.yml"));
  assert.ok(native.files.includes("/srv/isa/traefik/ssl/cert.pem"));
});

Deno.test("exporter: scrape URI at our network's gateway, one argv element, no quotes, not published", () => {
  const s = exporterSpec(testHost(), facts);
  // No listen flag: its name differs between 0.x and 1.x, and both default to :9117.
  assert.deepEqual(s.create.Cmd, ["--scrape_uri=http://172.18.0.1/server-status?auto"]);
  assert.ok(!JSON.stringify(s.create.Cmd).includes('\\"'));
  assert.equal(s.create.HostConfig?.PortBindings, undefined);
  assert.throws(
    () =>
      exporterSpec(testHost(), { docker: { ...facts.docker, networkGateways: { bridge: ["172.17.0.1"] } } }),
    /no IPv4 gateway for Docker network isa-monitoring in the facts/,
  );
});

Deno.test("common hardening, logging, limits and network on every container; no environment", () => {
  const h = testHost();
  for (
    const s of [exporterSpec(h, facts), prometheusSpec(h, { alerts: true }, USER), traefikSpec(h, USER)]
  ) {
    const hc = s.create.HostConfig!;
    assert.deepEqual(hc.RestartPolicy, { Name: "unless-stopped" });
    assert.deepEqual(hc.LogConfig, { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } });
    assert.deepEqual(hc.CapDrop, ["ALL"]);
    assert.deepEqual(hc.SecurityOpt, ["no-new-privileges"]);
    assert.equal(hc.ReadonlyRootfs, true);
    assert.equal(hc.NetworkMode, "isa-monitoring");
    assert.ok(hc.Memory! > 0 && hc.NanoCpus! > 0);
    assert.equal(s.create.Env, undefined, "no secrets through the environment");
    assert.ok(!s.image.endsWith(":latest") && s.image.includes(":"));
  }
  assert.equal(prometheusSpec(h, { alerts: false }, USER).create.HostConfig!.Memory, 1024 * 1024 * 1024);
});

Deno.test("prometheus: retention flags, the system user, mounts; published only behind the native frontend", () => {
  const s = prometheusSpec(testHost({ retention_time: "30d", retention_size: "3GB" }), {
    alerts: false,
  }, USER);
  assert.ok(s.create.Cmd!.includes("--storage.tsdb.retention.time=30d"));
  assert.ok(s.create.Cmd!.includes("--storage.tsdb.retention.size=3GB"));
  assert.equal(s.create.User, USER);
  assert.equal(s.create.HostConfig!.PortBindings, undefined);
  assert.deepEqual(s.create.HostConfig!.Mounts!.map((m) => [m.Source, m.Target, m.ReadOnly]), [
    ["/srv/isa/prometheus", "/etc/prometheus", true],
    ["/srv/isa/prometheus/data", "/prometheus", false],
  ]);
  const q = prometheusSpec(testHost({ frontend: "native", dashboard: true }), { alerts: false }, USER);
  assert.ok(q.create.Cmd!.includes("--web.config.file=/etc/prometheus/web.yml"));
  assert.deepEqual(q.create.HostConfig!.PortBindings, {
    "9090/tcp": [{ HostIp: "0.0.0.0", HostPort: "8443" }, { HostIp: "0.0.0.0", HostPort: "8080" }],
  });
  const p = prometheusSpec(testHost({ frontend: "native", dashboard: false }), { alerts: false }, USER);
  assert.deepEqual(p.create.HostConfig!.PortBindings, {
    "9090/tcp": [{ HostIp: "0.0.0.0", HostPort: "8443" }],
  });
});

Deno.test("traefik: 8443 always, 8080 only with the dashboard", () => {
  assert.deepEqual(
    Object.keys(traefikSpec(testHost({ dashboard: true }), USER).create.HostConfig!.PortBindings!),
    [
      "8443/tcp",
      "8080/tcp",
    ],
  );
  assert.deepEqual(
    Object.keys(traefikSpec(testHost({ dashboard: false }), USER).create.HostConfig!.PortBindings!),
    ["8443/tcp"],
  );
});

Deno.test("decideAction covers the four cases", () => {
  const st = (running: boolean, hash: string | null) => ({ id: "x", running, hash, managed: true });
  assert.equal(decideAction(null, "h"), "create");
  assert.equal(decideAction(st(true, "g"), "h"), "recreate");
  assert.equal(decideAction(st(true, null), "h"), "recreate");
  assert.equal(decideAction(st(false, "h"), "h"), "start");
  assert.equal(decideAction(st(true, "h"), "h"), "none");
});

// --- against the local Docker engine ---------------------------------------------------------

const TEST_IMAGE = "isa-test/sleeper:1";
const TEST_NET = "isa-test-net";
const TEST_NAME = "isa-test-reconcile";

/** A tiny image: one static binary that sleeps until SIGTERM (built with gcc, imported with docker). */
function buildTestImage(docker: Docker): Promise<void> {
  return ensureTinyImage(docker, TEST_IMAGE, SLEEPER_C);
}

function sleeperSpec(memoryMb: number): ContainerSpec {
  const h = testHost({
    docker_network: TEST_NET,
    images: { apache_exporter: TEST_IMAGE, prometheus: TEST_IMAGE, traefik: TEST_IMAGE },
  });
  h.vars.limits.apache_exporter.memory_mb = memoryMb;
  // The gateway the exporter would scrape: our network's, as the facts would find it.
  const s = exporterSpec(h, { docker: { ...facts.docker, networkGateways: { [TEST_NET]: ["172.31.0.1"] } } });
  return {
    ...s,
    name: TEST_NAME,
    create: { ...s.create, Cmd: [], NetworkingConfig: { EndpointsConfig: { [TEST_NET]: {} } } },
  };
}

Deno.test("reconcile against the local engine: create, no-op, recreate on hash change, start when stopped", async () => {
  const docker = new Docker({ socketPath: "/var/run/docker.sock" });
  await buildTestImage(docker);
  try {
    await ensureNetwork(docker, TEST_NET);
    await ensureNetwork(docker, TEST_NET); // idempotent
    const spec = sleeperSpec(32);
    const hash = specHash(spec, {});

    const created = await reconcileContainer(docker, spec, hash);
    assert.equal(created.action, "create");
    let st = await containerState(docker, TEST_NAME);
    assert.deepEqual(st, { id: created.id, running: true, hash, managed: true });
    const info = await docker.getContainer(TEST_NAME).inspect();
    assert.equal(info.HostConfig.Memory, 32 * 1024 * 1024);
    assert.equal(info.HostConfig.ReadonlyRootfs, true);
    assert.equal(info.HostConfig.RestartPolicy?.Name, "unless-stopped");
    assert.ok(info.NetworkSettings.Networks[TEST_NET], "attached to our network");

    const same = await reconcileContainer(docker, spec, hash);
    assert.deepEqual(same, { action: "none", id: created.id });

    const spec2 = sleeperSpec(48);
    const hash2 = specHash(spec2, {});
    assert.notEqual(hash2, hash);
    const re = await reconcileContainer(docker, spec2, hash2);
    assert.equal(re.action, "recreate");
    assert.notEqual(re.id, created.id);
    assert.equal((await docker.getContainer(TEST_NAME).inspect()).HostConfig.Memory, 48 * 1024 * 1024);

    await docker.getContainer(TEST_NAME).stop({ t: 5 });
    st = await containerState(docker, TEST_NAME);
    assert.equal(st?.running, false);
    const started = await reconcileContainer(docker, spec2, hash2);
    assert.deepEqual(started, { action: "start", id: re.id });
    assert.equal((await containerState(docker, TEST_NAME))?.running, true);
  } finally {
    await removeContainer(docker, TEST_NAME);
    await docker.getNetwork(TEST_NET).remove().catch(() => {});
  }
});

Deno.test("host probe: files of any content and folder stats survive the round trip (run with the local sh)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "isa-test-probe-" });
  try {
    const weird = "line 1\n@@isa-probe file 9 Y\n'quotes' $(not run) \u00e9\n";
    await Deno.writeTextFile(`${dir}/a b.yml`, weird);
    await Deno.writeTextFile(`${dir}/empty`, "");
    await Deno.mkdir(`${dir}/d`, { mode: 0o750 });
    await Deno.chmod(`${dir}/d`, 0o750);
    const files = [`${dir}/a b.yml`, `${dir}/empty`, `${dir}/missing`];
    const dirs = [`${dir}/d`, `${dir}/nope`];
    const r = await $`sh -s`.stdinText(probeScript(files, dirs)).text();
    const p = parseProbe(r, files, dirs);
    assert.equal(p.files[files[0]], weird);
    assert.equal(p.files[files[1]], "");
    assert.equal(p.files[files[2]], null);
    await Deno.chmod(`${dir}/a b.yml`, 0o644);
    const again = parseProbe(await $`sh -s`.stdinText(probeScript(files, dirs)).text(), files, dirs);
    assert.deepEqual(again.fileStats[files[0]], { owner: `${Deno.uid()}:${Deno.gid()}`, mode: "644" });
    assert.equal(again.fileStats[files[2]], null);
    assert.deepEqual(p.dirs[dirs[0]], { owner: `${Deno.uid()}:${Deno.gid()}`, mode: "750" });
    assert.equal(p.dirs[dirs[1]], null);
    assert.throws(() => parseProbe("", files, dirs), /incomplete/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("certificate: made once with the right names, key 0600; renewed when expiring or renamed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "isa-test-cert-" });
  const p = { sslDir: `${dir}/ssl`, cert: `${dir}/ssl/cert.pem`, key: `${dir}/ssl/key.pem` };
  const owner = `${Deno.uid()}:${Deno.gid()}`;
  try {
    const sans = subjectAltNames("isaqal09.epfl.ch", "isaqal09", "192.0.2.9");
    assert.deepEqual(sans, ["DNS:isaqal09.epfl.ch", "DNS:isaqal09", "IP:192.0.2.9"]);
    assert.deepEqual(subjectAltNames("127.0.10.9", "isaqal09", "127.0.10.9", "isaqal09.lab.example"), [
      "IP:127.0.10.9",
      "DNS:isaqal09",
      "DNS:isaqal09.lab.example",
    ]);
    // What the batched probe reads: the certificate's text and the key's stat only.
    const needs = certificateNeeds(p);
    const probe = async () => {
      const out = sections(
        await $`sh -s`.stdinText(`${PROBE_FUNCTIONS}${fileNeedsScript(needs)}`).text(),
      );
      const found = parseFileNeeds(out, needs);
      assert.equal(Object.keys(found.files).includes(p.key), false, "the key's content is never read");
      return certificateState(found.files[p.cert], found.stats[p.key]);
    };
    let st = await probe();
    assert.equal(certificateReason(st, sans), "create");
    await $`sh -s`.stdinText(makeCertificate(p, "isaqal09.epfl.ch", sans, owner).script).quiet();
    st = await probe();
    assert.equal(st.valid, true);
    assert.deepEqual(st.sans, sans);
    assert.equal(st.keyMode, `600 ${owner}`);
    assert.equal(certificateReason(st, sans), null);
    assert.match(
      certificateReason(st, subjectAltNames("other.epfl.ch", "isaqal09", "192.0.2.9"))!,
      /names change/,
    );
    assert.match(certificateReason({ ...st, valid: false }, sans)!, /expires/);
    // A certificate valid for 1 day is "expiring" with the 30-day margin of `openssl x509 -checkend`.
    await $`openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=x -keyout ${p.key} -out ${p.cert}`
      .quiet();
    assert.equal((await probe()).valid, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
