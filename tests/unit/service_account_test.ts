/** Issue 14 item 11: Prometheus and Traefik run as the system user isa-monitoring, owner of their 0600 files. */
import assert from "node:assert/strict";
import { applyChange } from "../../lib/engine/change.ts";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { accountProblem, groupOnly, PLANNED_OWNER } from "../../lib/containers/service_account.ts";
import { prometheusSpec, traefikSpec } from "../../lib/containers/builders.ts";
import { specHash } from "../../lib/containers/spec.ts";
import type { ServiceAccountFacts } from "../../lib/facts/facts.ts";
import { factsScript, parseFacts } from "../../lib/facts/probe.ts";
import type { HostProbe } from "../../lib/facts/files_probe.ts";
import { planCertificate } from "../../lib/steps/certificate.ts";
import { makeCertificate } from "../../lib/commands/certificate.ts";
import { deploySteps } from "../../lib/steps/mod.ts";
import {
  removeServiceAccountStep,
  serviceAccountStep,
  serviceOwner,
} from "../../lib/steps/service_account.ts";
import { uninstallSteps } from "../../lib/steps/uninstall.ts";
import type { Ssh } from "../../lib/transport/ssh.ts";
import { fakeContext, qualHost } from "../helpers/fake_host.ts";
import { SERVICE_ACCOUNT } from "../../lib/base/names.ts";
import { createAccount, removeAccount } from "../../lib/commands/account.ts";
import { parseServiceAccount } from "../../lib/facts/account.ts";
import { dirChange } from "../../lib/containers/dir_change.ts";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");
const ACCOUNT: ServiceAccountFacts = { uid: 997, gid: 995, home: "/nonexistent", shell: "/usr/sbin/nologin" };
const OWNER = "997:995";

/** Facts of a fresh RHEL 9 host (the real probe capture) with the account as given. */
async function factsWith(account: ServiceAccountFacts | null) {
  const facts = parseFacts(await Deno.readTextFile(join(fixtures, "rhel9-fresh.probe")));
  return { ...facts, serviceAccount: account };
}

/** An Ssh whose `run` records scripts and answers with `stdout`. */
function recordingSsh(stdout = "") {
  const scripts: string[] = [];
  const ssh = {
    run: (s: string) => {
      scripts.push(s);
      return Promise.resolve({ code: 0, stdout, stderr: "" });
    },
  } as unknown as Ssh;
  return { ssh, scripts };
}

Deno.test("the facts probe reads the account's passwd line back; absent or malformed is null", async () => {
  assert.match(factsScript("/srv/isa"), /^isa_sec service-account; getent passwd isa-monitoring/m);
  const line = "isa-monitoring:x:997:995:isa-monitoring containers:/nonexistent:/usr/sbin/nologin";
  assert.deepEqual(parseServiceAccount([line]), ACCOUNT);
  assert.deepEqual(parseFacts(`@@service-account\n${line}\n@@end\n`).serviceAccount, ACCOUNT);
  assert.equal(parseFacts("@@service-account\n@@end\n").serviceAccount, null);
  // Another user whose name starts with ours, or a truncated line, is not the account.
  assert.equal(parseServiceAccount(["isa-monitoring2:x:996:996::/:/usr/sbin/nologin"]), null);
  assert.equal(parseServiceAccount(["isa-monitoring:x:997"]), null);
  // The real captures of fresh RHEL hosts have no such section: no account yet.
  assert.equal((await factsWith(null)).serviceAccount, null);
});

Deno.test("useradd makes a system user with its own group, no home, no login; only when absent", () => {
  assert.deepEqual(createAccount(), {
    script: "set -eu\n" +
      "if ! getent passwd isa-monitoring >/dev/null; then\n" +
      "  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin " +
      "--comment 'isa-monitoring Prometheus and Traefik containers' isa-monitoring\n" +
      "fi\n",
    log: "useradd --system isa-monitoring",
  });
  assert.deepEqual(removeAccount(), {
    script: "if getent passwd isa-monitoring >/dev/null; then userdel isa-monitoring; fi\n" +
      "if getent group isa-monitoring >/dev/null; then groupdel isa-monitoring; fi\n",
    log: "userdel isa-monitoring",
  });
});

Deno.test("an existing account someone can log in as, or root's ids, is refused", () => {
  assert.equal(accountProblem(ACCOUNT), null);
  assert.equal(accountProblem({ ...ACCOUNT, shell: "/sbin/nologin" }), null);
  assert.match(accountProblem({ ...ACCOUNT, shell: "/bin/bash" })!, /login shell \/bin\/bash/);
  assert.match(accountProblem({ ...ACCOUNT, shell: "" })!, /login shell/);
  assert.match(accountProblem({ ...ACCOUNT, uid: 0 })!, /root's/);
  assert.match(accountProblem({ ...ACCOUNT, gid: 0 })!, /root's/);
});

Deno.test("the account step: useradd when absent (then facts again), nothing when present, refusal when foreign", async () => {
  const host = await qualHost();
  const absent = fakeContext(await factsWith(null), host);
  const [c, ...rest] = await serviceAccountStep.plan(absent);
  assert.equal(rest.length, 0);
  assert.match(c.summary, /create system user isa-monitoring/);
  let refreshed = 0;
  absent.refreshFacts = () => {
    refreshed++;
    absent.facts = { ...absent.facts, serviceAccount: ACCOUNT };
    return Promise.resolve();
  };
  await applyChange(absent.ssh, c);
  assert.equal(absent.scripts.at(-1), createAccount().script);
  assert.equal(refreshed, 1, "the later steps plan with the new uid");
  assert.deepEqual(await serviceAccountStep.plan(fakeContext(await factsWith(ACCOUNT), host)), []);
  await assert.rejects(
    async () =>
      await serviceAccountStep.plan(fakeContext(await factsWith({ ...ACCOUNT, shell: "/bin/bash" }), host)),
    /login shell/,
  );
  // It runs before the container steps.
  const ids = deploySteps.map((s) => s.id);
  assert.ok(ids.indexOf("account") < ids.indexOf("prometheus"));
  assert.ok(ids.indexOf("account") < ids.indexOf("traefik"));
});

Deno.test("the owner the container steps use: the account's ids; its name before it exists", async () => {
  const host = await qualHost();
  assert.equal(serviceOwner(fakeContext(await factsWith(ACCOUNT), host)), OWNER);
  assert.equal(serviceOwner(fakeContext(await factsWith(null), host)), PLANNED_OWNER);
  // status plans without --check: the account's absence is drift there, not an error.
  const run = fakeContext(await factsWith(null), host);
  run.opts = { ...run.opts, check: false };
  assert.equal(serviceOwner(run), PLANNED_OWNER);
  // Never root: the name is no uid a host could mistake for another.
  assert.doesNotMatch(PLANNED_OWNER, /^\d|^root/);
  const rootIds = fakeContext(await factsWith({ ...ACCOUNT, uid: 0 }), host);
  assert.throws(() => serviceOwner(rootIds), /root's/);
  assert.equal(groupOnly(OWNER), "0:995");
});

Deno.test("both containers run as the account; a host deployed as root gets them recreated (spec hash)", async () => {
  for (const frontend of ["traefik", "native"] as const) {
    const host = await qualHost({ frontend });
    const specs = [
      [prometheusSpec(host, { alerts: true }, OWNER), prometheusSpec(host, { alerts: true }, "0:0")],
      [traefikSpec(host, OWNER), traefikSpec(host, "0:0")],
    ];
    for (const [ours, asRoot] of specs) {
      assert.equal(ours.create.User, OWNER);
      // Unchanged confinement.
      assert.deepEqual(ours.create.HostConfig!.CapDrop, ["ALL"]);
      assert.deepEqual(ours.create.HostConfig!.SecurityOpt, ["no-new-privileges"]);
      assert.equal(ours.create.HostConfig!.ReadonlyRootfs, true);
      const files = Object.fromEntries(ours.files.map((f) => [f, "same"]));
      assert.notEqual(specHash(ours, files), specHash(asRoot, files), `${ours.name} (${frontend})`);
    }
  }
});

Deno.test("folders: the data to the account (recursive), secrets/ passable by its group only", async () => {
  const probe = (owner: string, mode: string): HostProbe => ({
    files: {},
    fileStats: {},
    stats: {},
    dirs: { "/srv/isa/prometheus/data": { owner, mode }, "/srv/isa/prometheus/secrets": { owner, mode } },
  });
  const { ssh, scripts } = recordingSsh();
  const data = dirChange("/srv/isa/prometheus/data", "700", probe("0:0", "700"), {
    recursiveOwner: true,
    owner: OWNER,
  })!;
  assert.match(
    data.summary,
    /set owner 997:995 and mode 700 on \/srv\/isa\/prometheus\/data \(was 0:0 700\)/,
  );
  await applyChange(ssh, data);
  // Only what the old owner (root) had passes to the new one: chown -R --from, then the folder itself.
  assert.equal(
    scripts[0].trim(),
    "set -e; mkdir -p /srv/isa/prometheus/data; chown -R --from=0:0 997:995 /srv/isa/prometheus/data; " +
      "chown 997:995 /srv/isa/prometheus/data; chmod 700 /srv/isa/prometheus/data",
  );
  // Same owner, another mode: a plain chmod/chown of the folder, nothing inside touched.
  const mode = dirChange("/srv/isa/prometheus/data", "700", probe(OWNER, "755"), {
    recursiveOwner: true,
    owner: OWNER,
  })!;
  assert.equal(
    mode.command?.script,
    "set -e; mkdir -p /srv/isa/prometheus/data; chown 997:995 /srv/isa/prometheus/data; chmod 700 /srv/isa/prometheus/data",
  );
  assert.equal(
    dirChange("/srv/isa/prometheus/data", "700", probe(OWNER, "700"), { owner: OWNER }),
    null,
    "second run: nothing",
  );
  const secrets = dirChange("/srv/isa/prometheus/secrets", "710", probe("0:0", "700"), {
    owner: groupOnly(OWNER),
  })!;
  assert.match(secrets.summary, /set owner 0:995 and mode 710/);
  assert.equal(
    dirChange("/srv/isa/prometheus/secrets", "710", probe("0:995", "710"), { owner: "0:995" }),
    null,
  );
  // Root's by default, as before.
  assert.equal(dirChange("/srv/isa/prometheus/data", "700", probe("0:0", "700")), null);
});

Deno.test("the TLS key goes to the account (0600), the certificate stays root's", async () => {
  const p = {
    sslDir: "/srv/isa/traefik/ssl",
    cert: "/srv/isa/traefik/ssl/cert.pem",
    key: "/srv/isa/traefik/ssl/key.pem",
  };
  const s = makeCertificate(p, "isaqal09.epfl.ch", ["DNS:isaqal09.epfl.ch"], OWNER, "0:0").script;
  assert.match(s, /chown '?997:995'? '?\/srv\/isa\/traefik\/ssl\/key\.pem\.new'?\n/);
  assert.match(s, /chown '?0:0'? '?\/srv\/isa\/traefik\/ssl\/cert\.pem\.new'?\n/);
  assert.match(s, /chmod 600 '?\/srv\/isa\/traefik\/ssl\/key\.pem\.new'?/);
  // A host deployed as root: the key's owner is drift, fixed in place (no new certificate).
  const host = await qualHost({ fqdn: "isaqal09.epfl.ch" });
  // The batched probe's answer: the certificate's text (a real one, tests/fixtures/cert-isaqal09.pem,
  // naming this host) and the key's stat.
  const cert = await Deno.readTextFile(join(fixtures, "cert-isaqal09.pem"));
  const probe = (owner: string): HostProbe => ({
    files: { [p.cert]: cert },
    fileStats: {},
    stats: { [p.key]: { owner, mode: "600" } },
    dirs: {},
  });
  const { ssh, scripts } = recordingSsh();
  const plan = planCertificate(host, p, probe("0:0"), OWNER);
  assert.equal(plan.willChange, false);
  assert.equal(plan.changes.length, 1);
  assert.match(
    plan.changes[0].summary,
    /set mode 0600 owner 997:995 on \/srv\/isa\/traefik\/ssl\/key\.pem \(was 600 0:0\)/,
  );
  await applyChange(ssh, plan.changes[0]);
  assert.match(scripts.at(-1)!, /^chown '?997:995'? '?\/srv\/isa\/traefik\/ssl\/key\.pem'? && chmod 600 /);
  const again = planCertificate(host, p, probe(OWNER), OWNER);
  assert.deepEqual(again.changes, []);
});

Deno.test("uninstall removes the account only with --purge, after the install folder; never a foreign one", async () => {
  assert.ok(!uninstallSteps(false).includes(removeServiceAccountStep));
  const purge = uninstallSteps(true).map((s) => s.id);
  assert.deepEqual(purge.slice(-2), ["purge", "account"]);
  const host = await qualHost();
  const ours = fakeContext(await factsWith(ACCOUNT), host);
  const [rm] = await removeServiceAccountStep.plan(ours);
  assert.match(rm.summary, new RegExp(`remove system user ${SERVICE_ACCOUNT}`));
  // The plan carries the exact command, run as is.
  assert.deepEqual(rm.command, removeAccount());
  await applyChange(ours.ssh, rm);
  assert.equal(ours.scripts.at(-1), removeAccount().script);
  const foreign = fakeContext(await factsWith({ ...ACCOUNT, shell: "/bin/bash" }), host);
  assert.deepEqual(await removeServiceAccountStep.plan(foreign), []);
  assert.match(foreign.progressLines[0], /leaving user isa-monitoring alone/);
  assert.deepEqual(await removeServiceAccountStep.plan(fakeContext(await factsWith(null), host)), []);
});
