/** Issue 22: the lab's production lines, registry, proxy and their inventory, as data. */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { lineMismatch, lineOf } from "../../lib/lab/lines.ts";
import { inventoryText, lightInventoryText } from "../../lib/lab/inventory.ts";
import { PROXY_URL, proxyConfig, registryConfig } from "../../lib/lab/registry.ts";
import { registryTrustScript } from "../../lib/lab/access.ts";
import { hostExtraHosts } from "../../lib/lab/containers.ts";
import { registryName } from "../../lib/containers/image_delivery.ts";
import { parseSecrets } from "../../lib/inventory/secrets.ts";

const images = {
  apache_exporter: "quay.io/lusitaniae/apache-exporter:v1.1.1",
  prometheus: "quay.io/prometheus/prometheus:v3.5.5",
  prometheus_oldest: "quay.io/prometheus/prometheus:v2.53.3",
};

Deno.test("a lab build stands in for the pinned line: major.minor for Prometheus, major for the exporter", () => {
  assert.equal(lineOf("v3.5.5", 2), "3.5");
  assert.equal(lineOf("1.0.11", 1), "1");
  assert.equal(lineMismatch("prometheus", "3.5.3", images.prometheus), undefined);
  assert.equal(lineMismatch("apache_exporter", "1.0.11", images.apache_exporter), undefined);
  assert.equal(
    lineMismatch("prometheus", "3.6.0", images.prometheus),
    "the lab's prometheus is 3.6.0 (line 3.6), production pins quay.io/prometheus/prometheus:v3.5.5 " +
      "(line 3.5, inventory/defaults.yml): the lab no longer runs what production runs",
  );
  assert.match(lineMismatch("apache_exporter", "0.12.0", images.apache_exporter)!, /line 0\b.*line 1,/);
});

Deno.test("lab inventory: pull under the production names; one host on the oldest line; the RHEL-shaped one behind squid", () => {
  const inv = parse(inventoryText(["isaqal09", "isaqal10", "isaqal11"], images));
  assert.equal(inv.vars.image_delivery, "pull");
  assert.deepEqual(inv.vars.images, {
    apache_exporter: images.apache_exporter,
    prometheus: images.prometheus,
  });
  assert.deepEqual(inv.hosts.isaqal09.vars.images, { prometheus: images.prometheus_oldest });
  assert.equal(inv.hosts.isaqal09.vars.proxy, undefined);
  assert.deepEqual(inv.hosts.isaqal10.vars.proxy, { http: PROXY_URL, https: PROXY_URL });
  assert.equal(inv.hosts.isaqal10.vars.images, undefined);
  assert.deepEqual(Object.keys(inv.hosts.isaqal11.vars), ["fqdn", "public_address"]);
  // The light hosts (fleet-size --check) resolve no registry name: they keep push, with no per-host vars.
  const light = parse(lightInventoryText(["isalight01"], images));
  assert.equal(light.vars.image_delivery, "push");
  assert.deepEqual(Object.keys(light.hosts.isalight01.vars), ["fqdn", "public_address"]);
});

Deno.test("lab hosts resolve quay.io to the registry, except the one that goes through the proxy", () => {
  assert.deepEqual(hostExtraHosts("isaqal09"), ["quay.io:10.209.9.203"]);
  assert.deepEqual(hostExtraHosts("isaqal10"), []);
});

Deno.test("registry: TLS, htpasswd, its access log; squid: CONNECT 443 from the lab network only", () => {
  const reg = parse(registryConfig());
  assert.deepEqual(reg.http.tls, {
    certificate: "/etc/isa-lab/registry.pem",
    key: "/etc/isa-lab/registry.key",
  });
  assert.deepEqual(reg.auth, { htpasswd: { realm: "isa-lab registry", path: "/etc/isa-lab/htpasswd" } });
  assert.equal(reg.log.accesslog.disabled, false);
  const squid = proxyConfig().split("\n");
  assert.deepEqual(squid.filter((l) => l.startsWith("http_access")), [
    "http_access deny CONNECT !SSL_ports",
    "http_access allow lab",
    "http_access deny all",
  ]);
  assert.ok(squid.includes("acl lab src 10.209.9.0/24"));
});

Deno.test("a host's trust in the lab registry CA: certs.d for dockerd, the system store for curl", () => {
  const s = registryTrustScript("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  assert.ok(
    s.includes(
      "install -d -m 755 /etc/docker/certs.d/quay.io\n" +
        "printf '%s\\n' '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' | " +
        "put /etc/docker/certs.d/quay.io/ca.crt 644 root:root >/dev/null\n",
    ),
    s,
  );
  assert.match(s, /put \/usr\/local\/share\/ca-certificates\/isa-lab-registry\.crt 644 root:root\)\n/);
  assert.match(s, /if \[ -n "\$c" \]; then update-ca-certificates/);
});

Deno.test("registry names as image references write them; secrets hold a login per registry", () => {
  assert.equal(registryName("quay.io/prometheus/prometheus:v3.5.5"), "quay.io");
  assert.equal(registryName("registry.example.org:5000/x/y:1"), "registry.example.org:5000");
  assert.equal(registryName("localhost/x:1"), "localhost");
  assert.equal(registryName("prom/prometheus:v3.5.5"), "docker.io");
  assert.equal(registryName("traefik:v3.7.11"), "docker.io");
  assert.equal(registryName("docker.io/library/traefik:v3.7.11"), "docker.io");
  const s = parseSecrets(
    "frontend:\n  credentials:\n    - {user: a, pass: abcdefgh}\nregistries:\n  quay.io:\n    username: u\n    password: p4ss\n",
    "s.yml",
  );
  assert.deepEqual(s.registries, { "quay.io": { username: "u", password: "p4ss" } });
  assert.throws(
    () =>
      parseSecrets(
        "frontend:\n  credentials:\n    - {user: a, pass: abcdefgh}\nregistries:\n  https://quay.io:\n    username: u\n    password: p\n",
        "s.yml",
      ),
    /s\.yml:5:3: .*registry name/,
  );
});
