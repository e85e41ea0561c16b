/** Issue 13's RHEL behaviour, from the RHEL 8/9 probe fixtures: what the plan does or refuses. */
import assert from "node:assert/strict";
import { applyChange } from "../../lib/engine/change.ts";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { HostContext, Step } from "../../lib/steps/step.ts";
import type { Facts } from "../../lib/facts/facts.ts";
import { factsScript, parseFacts } from "../../lib/facts/probe.ts";
import { apacheStep } from "../../lib/steps/apache.ts";
import { dockerStep } from "../../lib/steps/docker.ts";
import { DNF_BOUNDED, installDocker } from "../../lib/commands/docker.ts";
import { reachCheck } from "../../lib/commands/probe.ts";
import { factsReport, factsStep, reachTargets, unsupportedReason } from "../../lib/steps/facts.ts";
import type { Vars } from "../../lib/inventory/vars.ts";
import { fakeContext, qualHost } from "../helpers/fake_host.ts";
import { blankProbed } from "../../lib/facts/needs.ts";

/** A step's plan as a promise, so that a refusal thrown before its first await is a rejection too. */
const planOf = async (step: Step, ctx: HostContext) => await step.plan(ctx);

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

/** A fixture probe with some sections' bodies replaced (`null` body: section removed). */
async function probe(name: string, replace: Record<string, string> = {}): Promise<string> {
  let text = await Deno.readTextFile(join(fixtures, `${name}-fresh.probe`));
  for (const [section, body] of Object.entries(replace)) {
    text = text.replace(new RegExp(`^@@${section}\\n(?:(?!@@).*\\n)*`, "m"), `@@${section}\n${body}\n`);
  }
  return text;
}

async function plan(facts: Facts, vars: Partial<Vars> = {}, installable = "no", marked = false) {
  const probed = blankProbed();
  // The install folder's marker, as the probe's stat of it reads when a deploy wrote it.
  if (marked) probed.stats["/srv/isa/.isa-monitoring"] = { owner: "0:0", mode: "644" };
  const ctx = fakeContext(facts, await qualHost(vars), [{
    match: /dnf -q .*list --available/,
    stdout: installable,
  }], probed);
  const changes = await dockerStep.plan(ctx);
  return { ctx, changes, summaries: changes.map((c) => c.summary) };
}

const tools =
  "podman-4.9.4-1.el9.x86_64\npackage buildah is not installed\nruncc-0.1-1.el9.x86_64\nrunc-1.1.12-1.el9.x86_64";

for (const os of ["rhel8", "rhel9"]) {
  Deno.test(`${os} with podman and runc: the docker step stops naming them and the remedy`, async () => {
    const facts = parseFacts(await probe(os, { "container-tools": tools }));
    assert.deepEqual(facts.containerTools, ["podman", "runc"], "NVRA lines, not prefixes of other names");
    const { ctx } = await plan(facts).catch((e) => ({ ctx: e })) as { ctx: unknown };
    assert.ok(ctx instanceof Error);
    assert.match(
      ctx.message,
      /^podman, runc are installed \(rpm -q\) and stand in the way of Docker's packages \(containerd\.io replaces runc/,
    );
    assert.match(ctx.message, /dnf remove podman runc/);
    assert.match(ctx.message, /docker_allow_erasing: true/);
    assert.doesNotMatch(ctx.message, /\n/, "one sentence");
  });

  Deno.test(`${os} with runc and docker_allow_erasing: dnf install --allowerasing`, async () => {
    const facts = parseFacts(await probe(os, { "container-tools": "runc-1.1.12-1.el9.x86_64" }));
    const { ctx, summaries } = await plan(facts, { docker_allow_erasing: true });
    assert.ok(
      summaries.some((s) => /install docker-ce .*--allowerasing: dnf replaces runc/.test(s)),
      summaries.join("\n"),
    );
    const script = installDocker(facts.os, ctx.host.vars).script;
    assert.match(script, /^dnf_bounded -y install --allowerasing docker-ce docker-ce-cli containerd\.io$/m);
    // Without the tools, the same variable changes nothing in the sentence.
    const clean = await plan(parseFacts(await probe(os)), { docker_allow_erasing: true });
    assert.ok(clean.summaries.every((s) => !s.includes("allowerasing")));
  });
}

Deno.test("docker_repo unset: Docker's repository file with skip_if_unavailable, unless dnf already offers docker-ce", async () => {
  const facts = parseFacts(await probe("rhel9"));
  const { ctx, changes, summaries } = await plan(facts);
  assert.ok(ctx.scripts.some((s) => s.includes("--disablerepo='isa-docker-ce*' list --available docker-ce")));
  const repo = changes.find((c) => c.summary === "create /etc/yum.repos.d/isa-docker-ce.repo")!;
  assert.ok(repo, summaries.join("\n"));
  assert.match(
    repo.diff!,
    /^\+baseurl=https:\/\/download\.docker\.com\/linux\/rhel\/9\/\$basearch\/stable$/m,
  );
  // The key dnf trusts is the one checked against Docker's fingerprint, not whatever the mirror serves.
  assert.match(repo.diff!, /^\+gpgkey=file:\/\/\/etc\/pki\/rpm-gpg\/isa-docker-ce\.gpg$/m);
  const key = changes.find((c) => c.summary.startsWith("fetch Docker's repository key"))!;
  assert.deepEqual(key.command, {
    script: "set -eu\n" +
      `t=$(mktemp); trap 'rm -f "$t"' EXIT\n` +
      `curl -fsSL --proto '=https' --max-time 120 -o "$t" https://download.docker.com/linux/rhel/gpg\n` +
      `keys=$(gpg --batch --show-keys --with-colons "$t" 2>/dev/null || true)\n` +
      `n=$(printf '%s\\n' "$keys" | grep -c '^pub:' || true)\n` +
      `fpr=$(printf '%s\\n' "$keys" | awk -F: '$1 == "fpr" { print $10; exit }')\n` +
      `if [ "$n" != 1 ] || [ "$fpr" != 060A61C51B558A7F742B77AAC52FEB6B621E9F35 ]; then\n` +
      `  echo 'the key at https://download.docker.com/linux/rhel/gpg is not Docker'\\''s (fingerprint ` +
      `060A 61C5 1B55 8A7F 742B 77AA C52F EB6B 621E 9F35): '"$n key(s), first \${fpr:-unreadable}"'; refused, ` +
      `nothing installed' >&2\n` +
      "  exit 1\nfi\n" +
      `install -D -m 644 "$t" /etc/pki/rpm-gpg/isa-docker-ce.gpg`,
    log: "fetch https://download.docker.com/linux/rhel/gpg, check its fingerprint, keep it as " +
      "/etc/pki/rpm-gpg/isa-docker-ce.gpg",
  });
  assert.ok(
    summaries.indexOf(key.summary) < summaries.indexOf(repo.summary),
    "the key before the repository",
  );
  assert.match(repo.diff!, /^\+skip_if_unavailable=1$/m);
  assert.match(repo.diff!, /^\+gpgcheck=1$/m);
  assert.ok(summaries.some((s) => s.includes("from https://download.docker.com/linux/rhel")));
  // Order: the repository before the install that needs it.
  assert.ok(summaries.indexOf(repo.summary) < summaries.findIndex((s) => s.startsWith("install docker-ce")));

  const offered = await plan(facts, {}, "yes");
  assert.ok(offered.summaries.every((s) => !s.includes(".repo")), "no repository of ours");
  assert.ok(offered.summaries.some((s) => s.includes("from the host's repositories")));
});

Deno.test("docker_repo: a mirror URL goes in the file; none adds no repository and asks no question", async () => {
  const facts = parseFacts(await probe("rhel8"));
  const mirror = await plan(facts, { docker_repo: "https://mirror.example.org/docker-ce/linux/centos/" });
  const repo = mirror.changes.find((c) => c.summary.endsWith("isa-docker-ce.repo"))!;
  assert.match(
    repo.diff!,
    /^\+baseurl=https:\/\/mirror\.example\.org\/docker-ce\/linux\/centos\/8\/\$basearch\/stable$/m,
  );
  assert.match(repo.diff!, /^\+gpgkey=file:\/\/\/etc\/pki\/rpm-gpg\/isa-docker-ce\.gpg$/m);
  const key = mirror.changes.find((c) => c.summary.startsWith("fetch Docker's repository key"))!;
  assert.match(
    key.command!.script,
    /curl .* https:\/\/mirror\.example\.org\/docker-ce\/linux\/centos\/gpg\n/,
  );
  assert.match(
    key.command!.script,
    /"\$fpr" != 060A61C51B558A7F742B77AAC52FEB6B621E9F35/,
    "a mirror's key: Docker's too",
  );
  assert.doesNotMatch(repo.diff!, /download\.docker\.com/);

  const none = await plan(facts, { docker_repo: "none" });
  assert.deepEqual(none.ctx.scripts, [], "no dnf query at plan time");
  assert.ok(none.summaries.every((s) => !s.includes(".repo")));
  assert.match(
    installDocker(facts.os, none.ctx.host.vars).script,
    /docker-ce is in none of this host's repositories/,
  );
});

Deno.test("proxy: the package manager's environment and dockerd's systemd drop-in", async () => {
  const proxy = {
    http: "http://proxy.example.org:3128",
    https: "http://proxy.example.org:3128",
    no_proxy: "localhost,.epfl.ch",
  };
  const facts = parseFacts(await probe("rhel9"));
  const { ctx, changes, summaries } = await plan(facts, { proxy });
  const dropIn = changes.find((c) =>
    c.summary === "create /etc/systemd/system/docker.service.d/http-proxy.conf"
  )!;
  assert.ok(dropIn, summaries.join("\n"));
  assert.match(dropIn.diff!, /^\+\[Service\]$/m);
  assert.match(dropIn.diff!, /^\+Environment="HTTP_PROXY=http:\/\/proxy\.example\.org:3128"$/m);
  assert.match(dropIn.diff!, /^\+Environment="HTTPS_PROXY=http:\/\/proxy\.example\.org:3128"$/m);
  assert.match(dropIn.diff!, /^\+Environment="NO_PROXY=localhost,\.epfl\.ch"$/m);
  assert.ok(
    summaries.indexOf(dropIn.summary) < summaries.findIndex((s) => s.startsWith("install ")),
    "before the engine starts",
  );
  const env =
    /export http_proxy='?http:\/\/proxy\.example\.org:3128'?\n.*https_proxy=.*\n.*no_proxy='?localhost,\.epfl\.ch'?/;
  assert.match(installDocker(facts.os, ctx.host.vars).script, env);
  assert.match(
    ctx.scripts.find((s) => s.includes("list --available"))!,
    env,
    "the dnf query goes through it too",
  );
  const debian = { ...facts, os: { ...facts.os, family: "debian" as const, id: "debian" } };
  assert.match(installDocker(debian.os, ctx.host.vars).script, env, "apt too");

  // Engine already running: the new drop-in restarts it, and says so.
  const running = parseFacts(
    await probe("rhel9", {
      "docker-info": `{"ServerVersion":"27.0.3","SecurityOptions":["name=seccomp,profile=builtin"]}`,
      "docker-installed": "/usr/bin/dockerd",
      "docker-networks": `[{"Name":"isa-monitoring","IPAM":{"Config":[{"Subnet":"172.18.0.0/16"}]}}]`,
      "daemon-json": "+\n" + btoa(`{"log-driver":"json-file"}`),
    }),
  );
  const again = await plan(running, { proxy }, "no", true);
  assert.deepEqual(again.summaries, [
    "create /etc/systemd/system/docker.service.d/http-proxy.conf; restart docker (its containers restart with it)",
  ]);
  const current = `# Managed by isa-monitoring (inventory: proxy): dockerd pulls images through the proxy.
[Service]
Environment="HTTP_PROXY=${proxy.http}"
Environment="HTTPS_PROXY=${proxy.https}"
Environment="NO_PROXY=${proxy.no_proxy}"
`;
  const same = parseFacts(
    await probe("rhel9", {
      "docker-info": `{"ServerVersion":"27.0.3"}`,
      "docker-installed": "/usr/bin/dockerd",
      "docker-networks": `[{"Name":"isa-monitoring","IPAM":{"Config":[{"Subnet":"172.18.0.0/16"}]}}]`,
      "daemon-json": "+\n" + btoa(`{"log-driver":"json-file"}`),
      "docker-proxy-dropin": "+\n" + btoa(current),
    }),
  );
  assert.deepEqual((await plan(same, { proxy }, "no", true)).summaries, [], "a second run changes nothing");
});

Deno.test("SELinux enforcing with Docker's labelling on: /srv/isa labelled container_file_t, persistently", async () => {
  const labelling = {
    "daemon-json": "+\n" + btoa(`{"selinux-enabled": true}`),
  };
  const facts = parseFacts(await probe("rhel9", labelling));
  assert.equal(facts.selinux.mode, "enforcing");
  assert.equal(facts.selinux.dockerLabels, true);
  const { ctx, changes } = await plan(facts, {}, "yes");
  const label = changes.find((c) => c.summary.startsWith("label /srv/isa container_file_t"));
  assert.ok(label, changes.map((c) => c.summary).join("\n"));
  // The folder is claimed (marker written) just before it is relabelled.
  const summaries = changes.map((c) => c.summary);
  assert.equal(
    summaries.indexOf("mark /srv/isa as isa-monitoring's install folder (.isa-monitoring)"),
    summaries.indexOf(label.summary) - 1,
  );
  // The plan carries the whole command, as data.
  assert.deepEqual(label.command, {
    script: "set -eu\n" +
      `${DNF_BOUNDED}\n` +
      "command -v semanage >/dev/null 2>&1 || dnf_bounded -y install policycoreutils-python-utils\n" +
      "[ -f /srv/isa/.isa-monitoring ] || { echo 'refusing to relabel /srv/isa: it does not hold " +
      "isa-monitoring'\\''s marker file .isa-monitoring (a folder the deploy did not create or claim)' >&2; " +
      "exit 1; }\n" +
      "semanage fcontext -a -t container_file_t '/srv/isa(/.*)?' 2>/dev/null || " +
      "semanage fcontext -m -t container_file_t '/srv/isa(/.*)?'\n" +
      "restorecon -R /srv/isa",
    log: "label /srv/isa container_file_t",
    timeoutMs: 900_000,
  });
  await applyChange(ctx.ssh, label);
  const script = ctx.scripts.at(-1)!;
  assert.match(
    script,
    /^semanage fcontext -a -t container_file_t '\/srv\/isa\(\/\.\*\)\?' 2>\/dev\/null \|\| semanage fcontext -m /m,
  );
  assert.match(script, /^restorecon -R \/srv\/isa$/m);
  assert.match(script, /command -v semanage .* \|\| dnf_bounded -y install policycoreutils-python-utils/);
  // The engine says so itself once it runs (SecurityOptions), whatever daemon.json says.
  const running = parseFacts(
    await probe("rhel9", {
      "docker-info":
        `{"ServerVersion":"27.0.3","SecurityOptions":["name=seccomp,profile=builtin","name=selinux"]}`,
      "docker-installed": "/usr/bin/dockerd",
    }),
  );
  assert.equal(running.selinux.dockerLabels, true);
  // Labelled already (now and by policy): nothing to do. Labelling off or SELinux disabled: nothing either.
  const done = parseFacts(
    await probe("rhel9", {
      ...labelling,
      selinux:
        "mode Enforcing\nlabel system_u:object_r:container_file_t:s0\ndefault system_u:object_r:container_file_t:s0",
    }),
  );
  assert.ok((await plan(done, {}, "yes")).summaries.every((s) => !s.startsWith("label")));
  // Labelled by hand (chcon) but no rule: a relabel would undo it, so the rule is still planned.
  const chcon = parseFacts(
    await probe("rhel9", {
      ...labelling,
      selinux:
        "mode Enforcing\nlabel system_u:object_r:container_file_t:s0\ndefault system_u:object_r:var_t:s0",
    }),
  );
  assert.ok((await plan(chcon, {}, "yes")).summaries.some((s) => s.startsWith("label")));
  assert.ok(
    (await plan(parseFacts(await probe("rhel9")), {}, "yes")).summaries.every((s) => !s.startsWith("label")),
  );
  const disabled = parseFacts(await probe("rhel9", { ...labelling, selinux: "mode Disabled" }));
  assert.ok((await plan(disabled, {}, "yes")).summaries.every((s) => !s.startsWith("label")));
});

Deno.test("RHEL 7 and other old or unknown systems are refused at the facts step, in one line", async () => {
  const osRelease = await Deno.readTextFile(join(fixtures, "rhel-7.os-release"));
  const rhel7 = parseFacts(await probe("rhel9", { "os-release": osRelease }));
  const ctx = fakeContext(rhel7, await qualHost());
  await assert.rejects(
    planOf(factsStep, ctx),
    (e: Error) =>
      e.message ===
        "unsupported system: Red Hat Enterprise Linux Server 7.0 (Maipo) (ID=rhel, VERSION_ID=7.0); " +
          "supported: RHEL, Rocky and AlmaLinux 8, 9 and 10; CentOS Stream 9 and 10; Debian 11, 12 and 13; " +
          "Ubuntu 20.04 and later",
  );
  const os = (id: string, versionId: string, idLike: string[] = []) => ({
    id,
    versionId,
    idLike,
    family: "unknown" as const,
    prettyName: `${id} ${versionId}`,
    arch: "x86_64",
  });
  for (
    const ok of [
      os("rhel", "8.7"),
      os("rhel", "9.6"),
      os("centos", "9", ["rhel", "fedora"]),
      os("rocky", "8.4"),
      os("almalinux", "9.1"),
      os("debian", "11"),
      os("debian", "12"),
      os("ubuntu", "20.04"),
      os("ubuntu", "24.04"),
    ]
  ) {
    assert.equal(unsupportedReason(ok), null, `${ok.id} ${ok.versionId}`);
  }
  for (
    const no of [
      os("centos", "7", ["rhel", "fedora"]),
      os("rhel", "7.9"),
      os("debian", "10"),
      os("ubuntu", "18.04"),
      os("fedora", "40"),
      os("debian", ""),
      os("arch", ""),
    ]
  ) {
    assert.match(
      unsupportedReason(no) ?? "",
      /^unsupported system: .*; supported: /,
      `${no.id} ${no.versionId}`,
    );
  }
  // The fixtures' own systems pass the whole facts step.
  for (const name of ["rhel8", "rhel9"]) {
    assert.deepEqual(
      await planOf(factsStep, fakeContext(parseFacts(await probe(name)), await qualHost())),
      [],
    );
  }
});

Deno.test("a <Location /server-status> in a vhost included from outside conf.d is refused, naming the file", async () => {
  // What `httpd -t -D DUMP_INCLUDES` prints when conf.d/vhosts.conf includes /srv/www/site.conf.
  const includes = (await Deno.readTextFile(join(fixtures, "el8-httpd-DUMP_INCLUDES.txt")))
    .split("\n").filter((l) => !l.startsWith("AH00558")).join("\n")
    .replace(
      "    (356) /etc/httpd/conf.d/welcome.conf",
      "    (356) /etc/httpd/conf.d/vhosts.conf\n      (3) /srv/www/site.conf",
    );
  const facts = parseFacts(
    await probe("rhel9", {
      "apache-t": includes + await Deno.readTextFile(join(fixtures, "el8-httpd-DUMP_MODULES.txt")),
      "apache-status-locations": "/srv/www/site.conf:12:  <Location /server-status>",
    }),
  );
  assert.ok(
    facts.apache!.includes.includes("/srv/www/site.conf"),
    "the nested include is one of the files searched",
  );
  await assert.rejects(
    planOf(apacheStep, fakeContext(facts, await qualHost())),
    /an unmanaged <Location \/server-status> exists; .*\n {2}\/srv\/www\/site\.conf:12: {2}<Location \/server-status>/,
  );
  // The same block in our own file, between our markers, is ours.
  const ours = parseFacts(
    await probe("rhel9", {
      "apache-status-locations": "/etc/httpd/conf.d/EPFL_isa.conf:4:<Location /server-status>",
    }),
  );
  const withSubnet = await qualHost({ docker_subnet: "172.30.53.0/24" });
  assert.equal((await planOf(apacheStep, fakeContext(ours, withSubnet))).length, 1, "creates our file");
});

Deno.test("the apachectl wrapper: the probe never passes it arguments; its refusal is named, not 'broken config'", async () => {
  const script = factsScript("/srv/isa");
  assert.doesNotMatch(script, /apachectl\s+-/, "no apachectl with options anywhere");
  assert.match(script, /\*\) ctl=\$bin ;;/, "httpd itself on the RHEL layout");
  assert.match(script, /\$ctl \$opts_args -t -D DUMP_INCLUDES -D DUMP_MODULES/);
  // What the old probe got on RHEL 9 (`apachectl -t -D DUMP_MODULES`: the refusal, exit 1).
  const refusal = (await Deno.readTextFile(join(fixtures, "el9-apachectl-refusal.txt"))).trimEnd();
  const facts = parseFacts(await probe("rhel9", { "apache-t": refusal, "apache-t-exit": "1" }));
  assert.equal(facts.apache!.configOk, false);
  assert.equal(facts.apache!.statusModule, false);
  assert.match(facts.apache!.configMessage, /^the apachectl wrapper refused the arguments/);
  await assert.rejects(planOf(apacheStep, fakeContext(facts, await qualHost())), /apachectl wrapper refused/);
  // RHEL 8's wrapper warns and then runs httpd: flagged too, rather than trusted.
  const warning = (await Deno.readTextFile(join(fixtures, "el8-apachectl-warning.txt"))).trimEnd();
  const modules = await Deno.readTextFile(join(fixtures, "el8-httpd-DUMP_MODULES.txt"));
  const el8 = parseFacts(await probe("rhel8", { "apache-t": `${warning}\n${modules}` }));
  assert.equal(el8.apache!.configOk, false);
  // A real configuration error: httpd's message, exit 1.
  const broken = parseFacts(
    await probe("rhel9", {
      "apache-t": "AH00526: Syntax error on line 3 of /etc/httpd/conf.d/x.conf:\nInvalid command 'Foo'",
      "apache-t-exit": "1",
    }),
  );
  assert.equal(broken.apache!.configOk, false);
  assert.match(broken.apache!.configMessage, /^AH00526/);
});

Deno.test("first contact: the facts report names what decides the plan; reachability is bounded and proxied", async () => {
  const facts = parseFacts(await probe("rhel9", { "container-tools": tools }));
  const proxy = { https: "http://proxy.example.org:3128" };
  const vars = (await qualHost({ proxy })).vars;
  const targets = reachTargets(facts, vars);
  assert.deepEqual(targets.map((t) => t.url), [
    "https://download.docker.com/linux/rhel/9/x86_64/stable/repodata/repomd.xml",
    "https://quay.io/v2/",
    "https://registry-1.docker.io/v2/",
  ]);
  const curl = (i: number, url: string) =>
    `( echo "${i} $(curl -sI -o /dev/null -m 8 -w '%{http_code}' ${url} 2>/dev/null || true)" ) &`;
  assert.deepEqual(reachCheck(targets, vars), {
    script: [
      "export https_proxy=http://proxy.example.org:3128 HTTPS_PROXY=http://proxy.example.org:3128",
      curl(0, "https://download.docker.com/linux/rhel/9/x86_64/stable/repodata/repomd.xml"),
      curl(1, "https://quay.io/v2/"),
      curl(2, "https://registry-1.docker.io/v2/"),
      "wait",
    ].join("\n"),
    log: "curl -sI the repository and registries",
  });
  const lines = factsReport(
    facts,
    vars,
    new Map([["docker repository", "200"], ["registry registry-1.docker.io", "000"]]),
  );
  const text = lines.join("\n");
  assert.match(
    text,
    /^system: Red Hat Enterprise Linux 9\.6 \(Plow\) \(rhel 9\.6, rhel family\); login deploy$/m,
  );
  assert.match(text, /^selinux: enforcing; Docker labels containers: no; /m);
  assert.match(text, /^firewall: firewalld active; /m);
  assert.match(text, /^container tools: podman, runc installed \(conflict: the docker step will stop\)$/m);
  assert.match(
    text,
    /^docker: not installed; repository https:\/\/download\.docker\.com\/linux\/rhel; proxy http:/m,
  );
  assert.match(text, /^reach docker repository: answers \(HTTP 200\) via the proxy$/m);
  assert.match(text, /^reach registry registry-1\.docker\.io: NO ANSWER via the proxy$/m);
  assert.match(
    text,
    /^apache: \/usr\/sbin\/httpd 2\.4\.37 \(event\), service httpd running, config \/etc\/httpd\/conf\/httpd\.conf \(14 files loaded\)/m,
  );
  assert.match(text, /^disk: 20480 MiB free under \/srv\/isa$/m);
});

Deno.test("uninstall uses the same validate/restore/reload script: httpd -t on RHEL, a2disconf undone on Debian", async () => {
  const { removeApacheBlockStep } = await import("../../lib/steps/uninstall.ts");
  const { BEGIN, END } = await import("../../lib/render/apache_block.ts");
  const ours = `${BEGIN}\nExtendedStatus On\n${END}\n`;
  const rhel = parseFacts(await probe("rhel9", { "apache-ours": "+\n" + btoa(ours) }));
  const ctx = fakeContext(rhel, await qualHost());
  const [change] = await planOf(removeApacheBlockStep, ctx);
  assert.equal(
    change.summary,
    "remove /etc/httpd/conf.d/EPFL_isa.conf; /usr/sbin/httpd -t; graceful reload of httpd",
  );
  await applyChange(ctx.ssh, change);
  const script = ctx.scripts[0];
  assert.match(script, /^rm -f \/etc\/httpd\/conf\.d\/EPFL_isa\.conf$/m);
  assert.match(
    script,
    /if ! out=\$\(\/usr\/sbin\/httpd -t 2>&1\); then restore; echo "\$out" >&2; exit 3; fi/,
  );
  assert.doesNotMatch(script, /a2/);

  const debian = {
    ...rhel,
    apache: {
      ...rhel.apache!,
      ctl: "apache2ctl",
      layout: "debian" as const,
      service: "apache2",
      confFile: "/etc/apache2/conf-available/EPFL_isa.conf",
    },
  };
  const dctx = fakeContext(debian, await qualHost());
  await applyChange(dctx.ssh, (await planOf(removeApacheBlockStep, dctx))[0]);
  assert.match(dctx.scripts[0], /^a2disconf -q EPFL_isa /m);
  assert.match(dctx.scripts[0], /restore\(\) \{\n.*\n {2}a2enconf -q EPFL_isa >\/dev\/null 2>&1\n/);
  assert.match(dctx.scripts[0], /out=\$\(apache2ctl -t 2>&1\)/);
});

Deno.test("status block on a fresh host: check mode plans it; a real run without our network's subnet refuses", async () => {
  const fresh = parseFacts(await probe("rhel9", {}));
  assert.equal(fresh.docker.networkSubnets["isa-monitoring"], undefined, "no network yet");
  const ctx = fakeContext(fresh, await qualHost());
  const [planned] = await planOf(apacheStep, ctx);
  assert.match(planned.summary, /subnet Docker gives network isa-monitoring \(created by the docker step\)/);
  const real = fakeContext(fresh, await qualHost());
  real.opts = { ...real.opts, check: false };
  await assert.rejects(planOf(apacheStep, real), /does not exist yet, so its subnet is unknown/);
  assert.deepEqual(real.scripts, [], "nothing ran on the host");
});
