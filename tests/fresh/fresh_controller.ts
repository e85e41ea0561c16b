/**
 * The README's demo command on a fresh controller (`deno task test:fresh`, run by .ci/run): a Debian 12
 * built the way the lab builds hosts (debootstrap, plus Node.js and npm only: files/lab/controller/), in a
 * container with its own network namespace and its own Docker engine, the checkout copied in, then
 *
 *     command -v deno >/dev/null || npm install -g deno; deno task demo
 *
 * run to the end. Whatever the demo needs beyond Node.js/npm must come from the project's own install
 * step (lib/lab/controller_tools.ts): a missing entry there fails here, on any machine, even one where
 * someone installed the package by hand. Not named `*_test.ts`: `deno test` of the whole tree leaves it
 * to its own task (it takes minutes and builds a second lab inside the container).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import $ from "dax";
import { HOST_CONFIG } from "../../lib/lab/containers.ts";
import { ensureControllerTools } from "../../lib/lab/controller_tools.ts";
import { docker, ensureEngine } from "../../lib/lab/engine.ts";
import { ensureHostImage, lineSink } from "../../lib/lab/host_image.ts";
import { LAB_LABEL, PROJECT_ROOT } from "../../lib/lab/layout.ts";

/** The controller's container and the volume of its engine (`lab down` removes both: label, name prefix). */
const CONTAINER = "isa-lab-fresh-controller";
const VOLUME = "isa-lab-fresh-docker";
/** Where the checkout goes in the controller. */
const CHECKOUT = "/root/isa-monitoring";
/** The README's demo command, exactly. */
const DEMO = "command -v deno >/dev/null || npm install -g deno; deno task demo";
/** Bound on the whole demo: a fresh build of the three host images takes about 6 minutes, the deploy 1 to 2. */
const DEMO_TIMEOUT_MS = 30 * 60_000;

const log = (line: string) => console.log(`fresh| ${line}`);

/** Files of the checkout as git sees them (tracked and new, not ignored), that exist. */
async function checkoutFiles(): Promise<string[]> {
  const out = await $`git -C ${PROJECT_ROOT} ls-files -z --cached --others --exclude-standard`.text();
  const files = out.split("\0").filter(Boolean);
  const exists = await Promise.all(
    files.map((f) => Deno.lstat(join(PROJECT_ROOT, f)).then(() => true, () => false)),
  );
  return files.filter((_, i) => exists[i]);
}

/** Where the machine keeps certificate authorities it adds to Debian's (update-ca-certificates). */
const LOCAL_CAS = "/usr/local/share/ca-certificates";
/** Variables that point TLS clients (Node.js, curl, OpenSSL, Deno) at the machine's CA bundle. */
const TRUST_VARS = ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "DENO_CERT"];

/** Where apt keeps its configuration snippets. */
const APT_CONF_D = "/etc/apt/apt.conf.d";

/**
 * Gives the controller this machine's trust in the network, as any machine of this workplace has it: the
 * authorities added to Debian's (a TLS-inspecting egress has its own), npm's global config, apt's
 * network settings (the `Acquire::` snippets: this workplace's Debian mirror is a dated snapshot, whose
 * sid and trixie Release files apt would call expired without them), and the variables that point
 * clients at the bundle. Nothing of the project's. Returns `docker exec` -e options.
 */
async function copyMachineTrust(): Promise<string[]> {
  const cas = await Array.fromAsync(Deno.readDir(LOCAL_CAS)).catch(() => []);
  if (cas.length) {
    await $`tar -C ${LOCAL_CAS} -cf - . | docker cp - ${CONTAINER}:${LOCAL_CAS}`;
    await $`docker exec ${CONTAINER} update-ca-certificates`.quiet();
  }
  if (await Deno.stat("/etc/npmrc").then(() => true, () => false)) {
    await $`docker cp /etc/npmrc ${CONTAINER}:/etc/npmrc`;
  }
  for await (const e of Deno.readDir(APT_CONF_D)) {
    const path = `${APT_CONF_D}/${e.name}`;
    if (e.isFile && /^\s*Acquire::/m.test(await Deno.readTextFile(path).catch(() => ""))) {
      await $`docker cp ${path} ${CONTAINER}:${path}`;
    }
  }
  return TRUST_VARS.flatMap((v) => {
    const value = Deno.env.get(v);
    return value ? ["-e", `${v}=${value}`] : [];
  });
}

/** Removes the controller and its engine's volume (its own lab goes with them). */
async function removeController(): Promise<void> {
  await docker().getContainer(CONTAINER).remove({ force: true, v: true }).catch(() => {});
  await docker().getVolume(VOLUME).remove().catch(() => {});
}

Deno.test({
  name: "fresh controller: the README's demo command passes on Debian 12 with only Node.js and npm",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await ensureControllerTools(["lab", "fresh"], log);
    await ensureEngine(log);
    const image = await ensureHostImage(log, "controller");
    await removeController();
    const list = await Deno.makeTempFile({ prefix: "isa-fresh-files-" });
    try {
      // The lab hosts' run options (what systemd and an inner engine need on this machine, where
      // --privileged fails), in a network namespace of its own on the default bridge.
      const { RestartPolicy: _, NetworkMode: __, ...hostConfig } = HOST_CONFIG;
      await docker().createVolume({ Name: VOLUME, Labels: { [LAB_LABEL]: "fresh" } });
      const c = await docker().createContainer({
        name: CONTAINER,
        Image: image,
        Cmd: ["sleep", "infinity"],
        Labels: { [LAB_LABEL]: "fresh" },
        HostConfig: {
          ...hostConfig,
          // The inner engine's storage on a real file system (overlay on overlay does not mount).
          Mounts: [{ Type: "volume", Source: VOLUME, Target: "/var/lib/docker" }],
        },
      });
      await c.start();
      const before = await $`docker exec ${CONTAINER} sh -c ${"command -v deno || echo none"}`.text();
      assert.equal(before, "none", "the fresh controller must start without Deno");

      const files = await checkoutFiles();
      await Deno.writeTextFile(list, files.join("\0"));
      log(`copying the checkout (${files.length} files) to ${CONTAINER}:${CHECKOUT}`);
      await $`docker exec ${CONTAINER} mkdir -p ${CHECKOUT}`;
      await $`tar -C ${PROJECT_ROOT} --null -T ${list} -cf - | docker cp - ${CONTAINER}:${CHECKOUT}`;

      const env = await copyMachineTrust();
      log(`$ ${DEMO}`);
      const output: string[] = [];
      const keep = (line: string) => (output.push(line), log(line));
      const r = await $`docker exec ${env} -w ${CHECKOUT} ${CONTAINER} bash -c ${DEMO}`
        .stdin("null").stdout(lineSink(keep)).stderr(lineSink(keep)).timeout(DEMO_TIMEOUT_MS).noThrow();
      const text = output.join("\n");
      assert.equal(
        r.code,
        0,
        `the demo failed (exit ${r.code}); its errors:\n${
          output.filter((l) => /\berror\b/i.test(l)).slice(0, 10).join("\n")
        }\nits last lines:\n${output.slice(-20).join("\n")}`,
      );
      // Debian 12, the RHEL-shaped host and Debian 13 (lib/lab/layout.ts hostFlavour).
      assert.match(text, /\b3\/3 host\(s\) verified in /, "verify-metrics verified the three hosts");
      const after = await $`docker exec ${CONTAINER} sh -c ${"command -v deno"}`.text();
      assert.notEqual(after, "", "deno came from npm");
    } finally {
      await Deno.remove(list).catch(() => {});
      await removeController();
    }
  },
});
