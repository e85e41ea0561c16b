import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import $ from "dax";
import {
  ansibleInventoryText,
  ansibleVars,
  ansibleVarsText,
  labAnsibleHosts,
  labAnsibleVars,
  parseRecap,
  PLAYBOOK_DIR,
  recapProblem,
} from "../../bench/ansible.ts";
import { hashMatches } from "../../lib/render/htpasswd.ts";

const RECAP = `
TASK [Prometheus answers /-/ready] *********************************************
ok: [isaqal11]

PLAY RECAP *********************************************************************
isaqal11                   : ok=41   changed=30   unreachable=0    failed=0    skipped=1    rescued=0    ignored=0
isaqal12                   : ok=12   changed=9    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0
`;

Deno.test("Ansible's PLAY RECAP: one line per host, counts read", () => {
  assert.deepEqual(parseRecap(RECAP), [
    { host: "isaqal11", ok: 41, changed: 30, unreachable: 0, failed: 0 },
    { host: "isaqal12", ok: 12, changed: 9, unreachable: 0, failed: 1 },
  ]);
  assert.deepEqual(parseRecap("ERROR! the playbook could not be found"), []);
});

Deno.test("Ansible's recap judged: a failed or missing host, and a re-run that changed something", () => {
  const [a, b] = parseRecap(RECAP);
  assert.match(recapProblem([a, b], ["isaqal11", "isaqal12"], false)!, /^isaqal12: failed=1 unreachable=0$/);
  assert.match(recapProblem([a], ["isaqal11", "isaqal12"], false)!, /no PLAY RECAP line for isaqal12/);
  assert.equal(recapProblem([a], ["isaqal11"], false), null);
  assert.match(recapProblem([a], ["isaqal11"], true)!, /not a no-op: isaqal11 changed=30/);
  assert.equal(recapProblem([{ ...a, changed: 0 }], ["isaqal11"], true), null);
});

Deno.test("Ansible's inventory: each host through the lab's ssh_config, with its own images", () => {
  const doc = parse(ansibleInventoryText([{
    name: "isaqal11",
    fqdn: "isaqal11.lab.internal",
    public_address: "127.0.9.11",
    images: { apache_exporter: "e:1", prometheus: "p:3" },
  }], "/x/.lab/ssh_config"));
  assert.equal(doc.bench.vars.ansible_ssh_common_args, "-F /x/.lab/ssh_config");
  assert.deepEqual(doc.bench.hosts.isaqal11, {
    ansible_host: "isaqal11",
    fqdn: "isaqal11.lab.internal",
    public_address: "127.0.9.11",
    images: { apache_exporter: "e:1", prometheus: "p:3" },
  });
});

Deno.test("Ansible's variables: bcrypt hashes of the frontend users and of a fresh self-scrape password", async () => {
  const v = await ansibleVars({
    deployment: "qual",
    scrape_interval: "5s",
    retention_time: "15d",
    retention_size: "2GB",
    dashboard: true,
    allowed_sources: [],
    ports: { https: 8443, dashboard: 8080 },
    alerts_file: "/a.yml",
  }, [{ user: "isa", pass: "s3cret" }]);
  assert.equal(v.frontend_users.length, 1);
  assert.ok(await hashMatches("s3cret", v.frontend_users[0].hash));
  assert.match(v.self_scrape_password, /^[0-9a-f]{48}$/);
  assert.ok(await hashMatches(v.self_scrape_password, v.self_scrape_hash));
  const text = ansibleVarsText(v);
  assert.ok(!text.includes("s3cret"), "the frontend password is not written, only its hash");
  assert.equal(parse(text).frontend_users[0].hash, v.frontend_users[0].hash);
});

Deno.test("the lab's hosts and variables for the playbook: as the bench inventory deploys them", async () => {
  const images = { apache_exporter: "e:1", prometheus: "p:3.5", prometheus_oldest: "p:2.53" };
  const [old, other] = labAnsibleHosts(["isaqal09", "isaqal11"], images);
  assert.equal(old.images.prometheus, "p:2.53", "isaqal09 runs the oldest line, as in the lab inventory");
  assert.equal(other.images.prometheus, "p:3.5");
  assert.equal(other.fqdn, "isaqal11.lab.internal");
  const v = await labAnsibleVars("16d", "isa", "pw");
  assert.equal(v.retention_time, "16d");
  assert.equal(v.dashboard, true);
  assert.equal(v.scrape_interval, "5s");
  assert.match(v.alerts_file, /files\/prometheus\/alerts\.yml$/);
  assert.ok(await Deno.stat(v.alerts_file).then(() => true));
});

Deno.test("the playbook passes ansible-playbook --syntax-check (when Ansible is on this machine)", async () => {
  // The bench checks it again before resetting any host; here it runs only where Ansible is installed
  // (the bench installs Debian's `ansible` for --ansible; the unit suite installs nothing).
  if (!(await $.commandExists("ansible-playbook"))) {
    console.log("ansible-playbook not installed: syntax check not run here (the bench runs it first)");
    return;
  }
  const dir = await Deno.makeTempDir();
  try {
    const inv = join(dir, "hosts.yml");
    await Deno.writeTextFile(inv, "bench:\n  hosts:\n    isaqal11: {}\n");
    const r = await $`ansible-playbook -i ${inv} --syntax-check site.yml`.cwd(PLAYBOOK_DIR)
      .env({ ANSIBLE_CONFIG: join(PLAYBOOK_DIR, "ansible.cfg"), ANSIBLE_LOCAL_TEMP: dir }).quiet().noThrow();
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
