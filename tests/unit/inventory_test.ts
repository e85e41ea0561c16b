import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../../lib/base/errors.ts";
import { inventoryPath, loadDefaults, loadInventory, projectRoot } from "../../lib/inventory/load.ts";
import { selectHosts } from "../../lib/inventory/limit.ts";

async function withInventory(text: string, fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "inv.yml");
  await Deno.writeTextFile(file, text);
  try {
    await fn(file);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function rejects(text: string, pattern: RegExp): Promise<void> {
  await withInventory(text, async (file) => {
    await assert.rejects(loadInventory(file), (e: Error) => {
      assert.ok(e instanceof UsageError, `expected UsageError, got ${e}`);
      assert.match(e.message, pattern);
      assert.ok(e.message.startsWith(file + ":"), `message names the file: ${e.message}`);
      return true;
    });
  });
}

Deno.test("the shipped inventories load with defaults merged", async () => {
  const qual = await loadInventory(inventoryPath({ prod: false }));
  assert.deepEqual(qual.hosts.map((h) => h.name), ["isaqal09", "isaqal10"]);
  assert.equal(qual.hosts[0].vars.dashboard, true);
  assert.equal(qual.hosts[0].vars.install_dir, "/srv/isa");
  assert.equal(qual.hosts[0].vars.fqdn, "isaqal09.epfl.ch");
  const prod = await loadInventory(inventoryPath({ prod: true }));
  assert.deepEqual(prod.hosts.map((h) => h.name), ["isaprd09", "isaprd10", "isaprd11"]);
  assert.ok(prod.hosts.every((h) => h.vars.dashboard === false && h.deployment === "prod"));
  assert.equal(inventoryPath({ prod: false, inventory: "lab" }), join(projectRoot, ".lab", "inventory.yml"));
});

Deno.test("group and host vars override defaults, nested keys merge", async () => {
  await withInventory(
    `deployment: qual
vars:
  retention_time: 30d
groups:
  big:
    hosts: [a]
    vars:
      limits: { prometheus: { memory_mb: 1024, cpus: 2 } }
hosts:
  a:
    vars:
      images: { prometheus: "prom/prometheus:v3.5.1" }
  b:
    address: b.example.org
    user: deploy
    port: 2222
    jump: bastion.example.org
`,
    async (file) => {
      const inv = await loadInventory(file);
      const [a, b] = inv.hosts;
      assert.equal(a.vars.retention_time, "30d");
      assert.equal(a.vars.limits.prometheus.memory_mb, 1024);
      assert.equal(a.vars.limits.traefik.memory_mb, 128, "sibling keys keep their defaults");
      assert.equal(a.vars.images.prometheus, "prom/prometheus:v3.5.1");
      assert.equal(a.vars.images.traefik, "docker.io/library/traefik:v3.7.11");
      assert.equal(b.vars.limits.prometheus.memory_mb, 512);
      assert.deepEqual(b.ssh, {
        address: "b.example.org",
        user: "deploy",
        port: 2222,
        jump: "bastion.example.org",
        configFile: undefined,
      });
      assert.deepEqual(a.groups, ["big", "qual"]);
      assert.equal(b.pos.line, 13);
    },
  );
});

Deno.test("unknown key, wrong type, bad YAML, duplicates, empty file: file:line:column", async () => {
  await rejects(
    "deployment: qual\nhosts:\n  a:\n    vars:\n      retension_time: 3d\n",
    /:5:7: unknown key 'retension_time'/,
  );
  await rejects(
    "deployment: qual\nhosts:\n  a:\n    port: eighty\n",
    /:4:11: hosts\.a\.port must be a whole number/,
  );
  await rejects("deployment: staging\nhosts: {a: }\n", /:1:13: .*one of qual, prod/);
  await rejects("deployment: qual\nhosts:\n  a: [\n", /invalid YAML/);
  await rejects("deployment: qual\nhosts:\n  a:\n  a:\n", /:\d+:\d+: invalid YAML: Map keys must be unique/);
  await rejects("", /:1:1: the inventory is empty/);
  await rejects(
    "deployment: qual\nvars:\n  images:\n    prometheus: prom/prometheus:latest\nhosts: {a: }\n",
    /pinned image/,
  );
  await rejects(
    "deployment: qual\nhosts: {a: }\ngroups:\n  g:\n    hosts: [zz]\n",
    /:5:13: group 'g' names unknown host 'zz'/,
  );
});

Deno.test("a host in two groups with conflicting values is refused, naming both", async () => {
  await rejects(
    `deployment: qual
hosts: {a: }
groups:
  one: { hosts: [a], vars: { retention_time: 10d } }
  two: { hosts: [a], vars: { retention_time: 20d } }
`,
    /conflicting values for retention_time from groups 'one' \(.*:4:\d+\) and 'two'/,
  );
});

Deno.test("limit patterns: host, group, comma, glob, exclusion, intersection", async () => {
  await withInventory(
    `deployment: qual
hosts: {isaqal09: , isaqal10: , isaqal11: }
groups:
  web: { hosts: [isaqal09, isaqal10] }
  new: { hosts: [isaqal10, isaqal11] }
`,
    async (file) => {
      const inv = await loadInventory(file);
      assert.deepEqual(selectHosts(inv, undefined), ["isaqal09", "isaqal10", "isaqal11"]);
      assert.deepEqual(selectHosts(inv, "isaqal09"), ["isaqal09"]);
      assert.deepEqual(selectHosts(inv, "web"), ["isaqal09", "isaqal10"]);
      assert.deepEqual(selectHosts(inv, "isaqal*,!isaqal10"), ["isaqal09", "isaqal11"]);
      assert.deepEqual(selectHosts(inv, "web,&new"), ["isaqal10"]);
      assert.deepEqual(selectHosts(inv, "!web"), ["isaqal11"]);
      assert.deepEqual(selectHosts(inv, "isaqal09,isaqal11"), ["isaqal09", "isaqal11"]);
      assert.throws(
        () => selectHosts(inv, "nosuch"),
        /matches no host or group; known hosts: isaqal09, isaqal10, isaqal11/,
      );
      assert.throws(() => selectHosts(inv, "web,&isaqal11"), /selects no host/);
    },
  );
});

Deno.test("prod with the dashboard on is an inventory error, wherever dashboard was set", async () => {
  await rejects(
    "deployment: prod\nvars:\n  dashboard: true\nhosts: {a: }\n",
    /:3:14: host 'a': dashboard is true on a prod deployment, where 8080 stays closed/,
  );
  await rejects(
    "deployment: prod\nhosts:\n  a:\n    vars: { dashboard: true }\n",
    /:4:24: host 'a': dashboard is true on a prod deployment/,
  );
  await withInventory("deployment: qual\nvars:\n  dashboard: true\nhosts: {a: }\n", async (file) => {
    assert.equal((await loadInventory(file)).hosts[0].vars.dashboard, true, "qual may have it");
  });
});

Deno.test("credential URLs: https only; http needs insecure_http_for_lab, never on prod", async () => {
  const grafana = (url: string) => `  grafana: { url: "${url}", org: o, dashboard_uid: d }\n`;
  const rw = (url: string, query = "https://q.example/") =>
    `  remote_write: { url: "${url}", auth: basic, query_url: "${query}" }\n`;
  await rejects(
    `deployment: qual\nvars:\n${grafana("http://g.example")}hosts: {a: }\n`,
    /:3:19: host 'a': grafana\.url 'http:\/\/g\.example' is not https:\/\/: .*in clear \(for a lab receiver only: insecure_http_for_lab: true\)/,
  );
  await rejects(
    `deployment: qual\nvars:\n${rw("http://r.example/api/v1/write")}hosts: {a: }\n`,
    /:3:24: host 'a': remote_write\.url .* is not https/,
  );
  await rejects(
    `deployment: qual\nvars:\n${rw("https://r.example/api/v1/write", "http://q.example")}hosts: {a: }\n`,
    /:3:\d+: host 'a': remote_write\.query_url 'http:\/\/q\.example' is not https/,
  );
  await rejects(
    `deployment: qual\nvars:\n  grafana: { url: "ftp://g", org: o, dashboard_uid: d }\nhosts: {a: }\n`,
    /:3:19: vars\.grafana\.url 'ftp:\/\/g' is not an https:\/\/ URL/,
  );
  // The opt-in, set per host: that host only.
  await withInventory(
    `deployment: qual\nvars:\n${
      grafana("http://127.0.0.1:3000")
    }hosts:\n  a:\n    vars: { insecure_http_for_lab: true }\n  b:\n`,
    async (file) => {
      await assert.rejects(loadInventory(file), /:3:19: host 'b': grafana\.url .* is not https/);
    },
  );
  await withInventory(
    `deployment: qual\nvars:\n  insecure_http_for_lab: true\n${grafana("http://127.0.0.1:3000")}${
      rw("http://10.0.0.1/api/v1/write", "http://10.0.0.1:9090")
    }hosts: {a: }\n`,
    async (file) => {
      const [a] = (await loadInventory(file)).hosts;
      assert.equal(a.vars.grafana?.url, "http://127.0.0.1:3000");
      assert.equal(a.vars.remote_write?.query_url, "http://10.0.0.1:9090");
    },
  );
  await rejects(
    `deployment: prod\nvars:\n  insecure_http_for_lab: true\n${grafana("http://g.example")}hosts: {a: }\n`,
    /:4:19: host 'a': grafana\.url .* is not https:\/\/.*insecure_http_for_lab does not apply to prod/,
  );
});

Deno.test("hostile host entries: names and values that ssh would read as options are refused", async () => {
  await rejects(
    "deployment: qual\nhosts:\n  -oProxyCommand=touch /tmp/x:\n",
    /:3:3: hosts key '-oProxyCommand=touch \/tmp\/x' is not a host name/,
  );
  await rejects("deployment: qual\nhosts:\n  a b:\n", /:3:3: hosts key 'a b' is not a host name/);
  await rejects(
    "deployment: qual\nhosts:\n  a:\n    address: -oProxyCommand=x\n",
    /:4:14: hosts\.a\.address '-oProxyCommand=x' is not a host name or address \(not starting with -\)/,
  );
  await rejects(
    "deployment: qual\nhosts:\n  a:\n    jump: -V\n",
    /:4:11: hosts\.a\.jump '-V' is not a ProxyJump/,
  );
  await rejects("deployment: qual\nhosts:\n  a:\n    jump: ok.example,-V\n", /:4:11: hosts\.a\.jump/);
  await rejects("deployment: qual\nhosts:\n  a:\n    jump: root@-V\n", /:4:11: hosts\.a\.jump/);
  await rejects(
    "deployment: qual\nhosts:\n  a:\n    user: -lroot\n",
    /:4:11: hosts\.a\.user '-lroot' is not a user/,
  );
  await rejects(
    "deployment: qual\nhosts: {a: }\ngroups:\n  -g: { hosts: [a] }\n",
    /:4:3: groups key '-g' is not a host name/,
  );
  await withInventory(
    "deployment: qual\nhosts:\n  a:\n    address: fe80::1%eth0\n    jump: admin@bastion.example:2222,next\n",
    async (file) => {
      const [a] = (await loadInventory(file)).hosts;
      assert.equal(a.ssh.address, "fe80::1%eth0");
      assert.equal(a.ssh.jump, "admin@bastion.example:2222,next");
    },
  );
});

Deno.test("install_dir: absolute, normalised, not / nor a system folder, under /srv/ or /opt/ only", async () => {
  const cases: [string, RegExp][] = [
    ["/srv/../etc", /is not a normalised path/],
    ["/srv/./isa", /is not a normalised path/],
    ["/srv//isa", /is not a normalised path/],
    ["/srv/isa/", /is not a normalised path/],
    ["srv/isa", /is not an absolute path/],
    ["/", /is the root folder/],
    ["/etc", /is a system folder/],
    ["/usr/local", /is a system folder/],
    ["/srv", /is a system folder/],
    ["/var/lib/docker", /is a system folder/],
    ["/home/alice", /is a user's home folder/],
    ["/tmp/isa", /is under \/tmp/],
    ["/proc/self", /is under \/proc/],
    ["/srv/isa;rm", /is not an absolute path/],
    ["/data/isa", /is not under \/srv\/ or \/opt\/: pick a folder such as \/srv\/isa/],
    ["/etc/isa", /is not under \/srv\/ or \/opt\//],
    ["/usr/lib64/isa", /is not under \/srv\/ or \/opt\//],
    ["/srvx/isa", /is not under \/srv\/ or \/opt\//],
  ];
  for (const [dir, pattern] of cases) {
    await rejects(
      `deployment: qual\nvars:\n  install_dir: "${dir}"\nhosts: {a: }\n`,
      new RegExp(
        `:3:16: vars\\.install_dir '${dir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}' ${pattern.source}`,
      ),
    );
  }
  for (const dir of ["/srv/isa", "/opt/isa-monitoring", "/srv/monitoring/isa"]) {
    await withInventory(`deployment: qual\nvars:\n  install_dir: ${dir}\nhosts: {a: }\n`, async (file) => {
      assert.equal((await loadInventory(file)).hosts[0].vars.install_dir, dir);
    });
  }
});

Deno.test("defaults.yml declares every variable: one missing is an error naming the file", async () => {
  const text = await Deno.readTextFile(join(projectRoot, "inventory", "defaults.yml"));
  await withInventory(text.replace(/^retention_size: .*\n/m, ""), async (file) => {
    await assert.rejects(
      loadDefaults(file),
      new RegExp(`^UsageError: ${file}:\\d+:1: defaults lacks the required key 'retention_size'`),
    );
  });
  await withInventory(
    text.replace(/^ {2}traefik: \S*traefik:.*\n/m, ""),
    async (file) => {
      await assert.rejects(loadDefaults(file), /images lacks the required key 'traefik'/);
    },
  );
});

Deno.test("a user or password in any URL field is refused at its line, and the value is never shown", async () => {
  const fields: [string, string][] = [
    ["grafana.url", `  grafana: { url: "URL", org: o, dashboard_uid: d }\n`],
    ["remote_write.url", `  remote_write: { url: "URL", auth: basic }\n`],
    ["remote_write.query_url", `  remote_write: { url: "https://r/", auth: basic, query_url: "URL" }\n`],
    ["alerting.alertmanagers[0]", `  alerting: { alertmanagers: ["URL"], auth: none }\n`],
    ["proxy.http", `  proxy: { http: "URL" }\n`],
    ["proxy.https", `  proxy: { https: "URL" }\n`],
    ["docker_repo", `  docker_repo: "URL"\n`],
  ];
  for (const [field, yaml] of fields) {
    for (
      const url of ["https://alice:s3cret-pw@h.example/x", "https://alice@h.example", "http://:pw@h:3128"]
    ) {
      await withInventory(
        `deployment: qual\nvars:\n${yaml.replace("URL", url)}hosts: {a: }\n`,
        async (file) => {
          await assert.rejects(loadInventory(file), (e: Error) => {
            assert.ok(e instanceof UsageError, `${field}: ${e}`);
            assert.match(
              e.message,
              new RegExp(`^${file}:3:\\d+: .*${field.replace(/[.[\]]/g, "\\$&")} has a user or password`),
            );
            assert.ok(!e.message.includes("s3cret") && !e.message.includes("alice"), e.message);
            return true;
          });
        },
      );
    }
  }
  // An @ in the path is no user: still a valid URL.
  await withInventory(
    `deployment: qual\nvars:\n  grafana: { url: "https://g.example/@team", org: o, dashboard_uid: d }\nhosts: {a: }\n`,
    async (file) =>
      assert.equal((await loadInventory(file)).hosts[0].vars.grafana?.url, "https://g.example/@team"),
  );
});

Deno.test("docker_repo: https only", async () => {
  await rejects(
    `deployment: qual\nvars:\n  docker_repo: "http://mirror.example/docker-ce/linux/centos"\nhosts: {a: }\n`,
    /:3:16: vars\.docker_repo 'http:\/\/mirror\.example\/docker-ce\/linux\/centos' is not empty .*https:\/\/ URL of a mirror/,
  );
});
