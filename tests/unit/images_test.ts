/**
 * The pinned images exist where their projects publish them, and we pass them only flags that exist
 * at the pinned tag, and at the lab's Debian versions. Bumping a tag in inventory/defaults.yml fails
 * here until the flags are checked again at the new tag and the table below is updated.
 */
import assert from "node:assert/strict";
import { exporterSpec, prometheusSpec, traefikSpec } from "../../lib/containers/builders.ts";
import type { ContainerSpec } from "../../lib/containers/spec.ts";
import type { Facts } from "../../lib/facts/facts.ts";
import type { Host } from "../../lib/inventory/host.ts";
import { inventoryPath, loadInventory, projectRoot } from "../../lib/inventory/load.ts";
import { join } from "node:path";
import { parse } from "yaml";
import type { Vars } from "../../lib/inventory/vars.ts";

/** The `uid:gid` of a host's system user isa-monitoring, as the container steps pass it. */
const USER = "997:995";

type Key = "apache_exporter" | "prometheus" | "traefik";

/**
 * Per image: the reference pinned in inventory/defaults.yml, and every flag our spec passes, each
 * checked in the upstream source at that tag (git show TAG:file of the project's repository).
 */
const PINNED: Record<Key, { ref: string; flags: string[]; checked: string }> = {
  apache_exporter: {
    ref: "quay.io/lusitaniae/apache-exporter:v1.1.1",
    // Lusitaniae/apache_exporter v1.1.1 apache_exporter.go (kingpin.Flag "scrape_uri"); the listen
    // address is exporter-toolkit v0.16.0 web/kingpinflag/flag.go's --web.listen-address, default
    // ":9117" as AddFlags(kingpin.CommandLine, ":9117") sets it: not passed.
    flags: ["--scrape_uri"],
    checked: "Lusitaniae/apache_exporter v1.1.1 apache_exporter.go",
  },
  prometheus: {
    ref: "quay.io/prometheus/prometheus:v3.5.5",
    // prometheus/prometheus v3.5.5 cmd/prometheus/main.go: config.file, storage.tsdb.path,
    // storage.tsdb.retention.time, storage.tsdb.retention.size, rules.alert.resend-delay
    // (serverOnlyFlag), web.config.file; Dockerfile: ENTRYPOINT ["/bin/prometheus"], which our spec
    // relies on.
    flags: [
      "--config.file",
      "--storage.tsdb.path",
      "--storage.tsdb.retention.time",
      "--storage.tsdb.retention.size",
      "--web.config.file",
      "--rules.alert.resend-delay",
    ],
    checked: "prometheus/prometheus v3.5.5 cmd/prometheus/main.go and Dockerfile",
  },
  traefik: {
    ref: "docker.io/library/traefik:v3.7.11",
    // traefik/traefik v3.7.9 pkg/cli/loader_file.go reads traefik.configFile (the newest source
    // tag at hand; v3.7.10 and v3.7.11 are patch releases); traefik-library-image v3.7/alpine
    // Dockerfile (v3.7.11) and entrypoint.sh run `traefik` with our arguments.
    flags: ["--configFile"],
    checked: "traefik/traefik v3.7.9 pkg/cli/loader_file.go; traefik-library-image v3.7/alpine (v3.7.11)",
  },
};

/**
 * The lab's images: Debian bookworm's binaries (lib/lab/app_images.ts). Flags from their sources
 * at the upstream tags Debian packages: apache_exporter v0.12.0 apache_exporter.go (telemetry.address,
 * telemetry.endpoint, scrape_uri, host_override, insecure, web.config) and prometheus v2.42.0
 * cmd/prometheus/main.go (the same six we pass exist there, rules.alert.resend-delay at line 381; so
 * does the deprecated --storage.tsdb.retention, which 3.x removed).
 */
const LAB_FLAGS: Record<Exclude<Key, "traefik">, string[]> = {
  apache_exporter: [
    "--telemetry.address",
    "--telemetry.endpoint",
    "--scrape_uri",
    "--host_override",
    "--insecure",
    "--web.config",
    "--log.level",
    "--log.format",
  ],
  prometheus: [
    "--config.file",
    "--storage.tsdb.path",
    "--storage.tsdb.retention",
    "--storage.tsdb.retention.time",
    "--storage.tsdb.retention.size",
    "--web.listen-address",
    "--web.config.file",
    "--web.external-url",
    "--web.enable-lifecycle",
    "--rules.alert.resend-delay",
  ],
};

/**
 * Repositories each project's CI publishes to. apache_exporter: .github/workflows/ci.yml at v1.1.1
 * (promci publish_release with docker_hub_organization lusotycoon, quay_io_organization lusitaniae;
 * Makefile DOCKER_IMAGE_NAME apache-exporter); never docker.io/lusitaniae. Prometheus:
 * .github/workflows/ci.yml at v3.5.5 (promci publish_release: prom on Docker Hub, prometheus on
 * quay.io and ghcr.io). Traefik: the Docker official image `traefik` (docker-library/official-images
 * library/traefik → traefik-library-image), copied to ghcr.io by traefik/traefik's
 * .github/workflows/sync-docker-images.yaml.
 */
const PUBLISHED: Record<Key, string[]> = {
  apache_exporter: ["quay.io/lusitaniae/apache-exporter", "docker.io/lusotycoon/apache-exporter"],
  prometheus: ["quay.io/prometheus/prometheus", "docker.io/prom/prometheus", "ghcr.io/prometheus/prometheus"],
  traefik: ["docker.io/library/traefik", "ghcr.io/traefik/traefik"],
};

/** Docker's normalisation of a reference's repository: `traefik` → `docker.io/library/traefik`. */
function repository(ref: string): string {
  const repo = ref.replace(/@sha256:.*$/, "").replace(/:[^/:]+$/, "");
  const first = repo.split("/")[0];
  const hasRegistry = repo.includes("/") &&
    (first.includes(".") || first.includes(":") || first === "localhost");
  const full = hasRegistry ? repo : `docker.io/${repo}`;
  return /^docker\.io\/[^/]+$/.test(full) ? full.replace("docker.io/", "docker.io/library/") : full;
}

const facts = { docker: { networkGateways: { "isa-monitoring": ["172.18.0.1"] } } } as unknown as Pick<
  Facts,
  "docker"
>;

/** Every variant that changes the arguments: both frontends, dashboard on and off, remote_write. */
async function variants(): Promise<Host[]> {
  const inv = await loadInventory(inventoryPath({ prod: true }));
  const base = inv.hosts[0];
  const out: Host[] = [];
  for (const frontend of ["traefik", "native"] as const) {
    for (const dashboard of [false, true]) {
      for (const rw of [null, { url: "https://rw.example.org/push", auth: "basic" }] as const) {
        const alerting = rw ? { alertmanagers: ["https://am.example.org:9093"], auth: "none" } : null;
        const vars = {
          ...structuredClone(base.vars),
          frontend,
          dashboard,
          remote_write: rw,
          alerting,
        } as Vars;
        out.push({ ...base, vars });
      }
    }
  }
  return out;
}

function specs(host: Host): Record<Key, ContainerSpec> {
  return {
    apache_exporter: exporterSpec(host, facts),
    prometheus: prometheusSpec(host, { alerts: true }, USER),
    traefik: traefikSpec(host, USER),
  };
}

/** Flag names in a spec's arguments (`--a=b` → `--a`); the leading `traefik` is the image's command. */
function flagNames(spec: ContainerSpec): string[] {
  const args = [...(spec.create.Entrypoint as string[] ?? []), ...(spec.create.Cmd as string[] ?? [])];
  return args.filter((a) => a !== "traefik").map((a) => {
    assert.match(a, /^--[a-zA-Z][\w.-]*(=|$)/, `an argument that is not a --flag: ${a}`);
    return a.split("=")[0];
  });
}

Deno.test("the pinned images are the ones whose flags were checked (a bump fails until checked again)", async () => {
  const images = parse(await Deno.readTextFile(join(projectRoot, "inventory", "defaults.yml"))).images;
  for (const key of Object.keys(PINNED) as Key[]) {
    assert.equal(
      images[key],
      PINNED[key].ref,
      `${key}: defaults.yml pins another image than the one checked against ${PINNED[key].checked}`,
    );
  }
});

Deno.test("every pinned image names a repository its project publishes to, with a version tag", async () => {
  const inv = await loadInventory(inventoryPath({ prod: true }));
  for (const h of inv.hosts) {
    for (const key of Object.keys(PINNED) as Key[]) {
      const ref = h.vars.images[key];
      assert.ok(PUBLISHED[key].includes(repository(ref)), `${key}: ${ref} is not in ${PUBLISHED[key]}`);
      assert.match(ref, /:v\d+\.\d+\.\d+$/, `${key}: ${ref} is pinned to a release tag (with the v)`);
    }
  }
  // The reference that started issue 12: the exporter's own name on Docker Hub is not published.
  assert.ok(!PUBLISHED.apache_exporter.includes(repository("lusitaniae/apache-exporter:v1.0.10")));
  assert.equal(repository("traefik:v3.7.11"), "docker.io/library/traefik");
  assert.equal(repository("prom/prometheus:v3.5.5"), "docker.io/prom/prometheus");
});

Deno.test("each spec passes exactly the flags checked at the pinned tag, and the lab's versions know them", async () => {
  for (const host of await variants()) {
    const s = specs(host);
    for (const key of Object.keys(PINNED) as Key[]) {
      const names = flagNames(s[key]);
      for (const f of names) {
        assert.ok(PINNED[key].flags.includes(f), `${key}: ${f} was not checked at ${PINNED[key].checked}`);
        if (key !== "traefik") {
          assert.ok(LAB_FLAGS[key].includes(f), `${key}: ${f} does not exist in the lab's Debian version`);
        }
      }
    }
  }
  // Over all variants, every checked flag is used: a flag dropped from the spec is dropped here.
  const used = new Map<Key, Set<string>>();
  for (const host of await variants()) {
    const s = specs(host);
    for (const key of Object.keys(PINNED) as Key[]) {
      for (const f of flagNames(s[key])) used.set(key, (used.get(key) ?? new Set()).add(f));
    }
  }
  for (const key of Object.keys(PINNED) as Key[]) {
    assert.deepEqual([...used.get(key)!].sort(), [...PINNED[key].flags].sort(), key);
  }
});

Deno.test("the exporter gets no listen flag (named differently in 0.x and 1.x; both default to :9117)", async () => {
  for (const host of await variants()) {
    const cmd = exporterSpec(host, facts).create.Cmd as string[];
    assert.deepEqual(cmd, ["--scrape_uri=http://172.18.0.1/server-status?auto"]);
    assert.ok(!cmd.some((a) => /telemetry\.address|web\.listen-address|web\.config/.test(a)));
  }
  // Nor does Prometheus (its default 0.0.0.0:9090 is ours) nor an entrypoint (the image's own).
  const p = prometheusSpec((await variants())[0], { alerts: false }, USER);
  assert.equal(p.create.Entrypoint, undefined);
  assert.ok(!(p.create.Cmd as string[]).some((a) => a.startsWith("--web.listen-address")));
  assert.ok(
    !(p.create.Cmd as string[]).some((a) =>
      a === "--storage.tsdb.retention" || a.startsWith("--storage.tsdb.retention=")
    ),
  );
});
