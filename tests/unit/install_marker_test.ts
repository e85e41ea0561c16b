import assert from "node:assert/strict";
import { join } from "node:path";
import { claimInstallDir, removeInstallDir } from "../../lib/commands/files.ts";
import { labelContainerFiles } from "../../lib/commands/docker.ts";
import { purgeStep } from "../../lib/steps/uninstall.ts";
import { parseFacts } from "../../lib/facts/probe.ts";
import { fakeContext, qualHost } from "../helpers/fake_host.ts";

/** Runs a command's script with the local sh (it touches only the temp folder it names). */
async function sh(script: string) {
  const out = await new Deno.Command("sh", { args: ["-c", script], stdout: "piped", stderr: "piped" })
    .output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

async function inTemp(fn: (dir: string) => Promise<void>) {
  const tmp = await Deno.makeTempDir();
  try {
    await fn(join(tmp, "isa"));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

Deno.test("install folder: claimed when new or holding only our folders; someone else's is refused", async () => {
  await inTemp(async (dir) => {
    assert.equal((await sh(claimInstallDir(dir).script)).code, 0);
    assert.match(await Deno.readTextFile(`${dir}/.isa-monitoring`), /isa-monitoring's install folder/);
    assert.equal((await sh(claimInstallDir(dir).script)).code, 0, "again: nothing to do");
  });
  await inTemp(async (dir) => {
    // A host deployed before markers: only prometheus/ and traefik/ in it.
    await Deno.mkdir(`${dir}/prometheus/data`, { recursive: true });
    await Deno.mkdir(`${dir}/traefik`);
    assert.equal((await sh(claimInstallDir(dir).script)).code, 0);
    assert.ok(await exists(`${dir}/.isa-monitoring`));
  });
  await inTemp(async (dir) => {
    await Deno.mkdir(`${dir}/htdocs`, { recursive: true });
    await Deno.writeTextFile(`${dir}/index.html`, "");
    const r = await sh(claimInstallDir(dir).script);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^refusing .*\/isa as install_dir: it holds files that are not isa-monitoring's \(htdocs index\.html \)/,
    );
    assert.ok(!await exists(`${dir}/.isa-monitoring`), "no marker written");
  });
});

Deno.test("uninstall --purge and the SELinux relabel act only on a folder holding our marker", async () => {
  await inTemp(async (dir) => {
    await Deno.mkdir(`${dir}/prometheus`, { recursive: true });
    const refused = await sh(removeInstallDir(dir).script);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refusing to remove .*\/isa: it does not hold isa-monitoring's marker file/);
    assert.ok(await exists(`${dir}/prometheus`), "nothing removed");
    // The relabel's guard comes before semanage and restorecon: it stops there.
    const label = await sh(
      labelContainerFiles(dir, { proxy: null } as never).script.replace(/^command -v semanage.*$/m, ""),
    );
    assert.equal(label.code, 1);
    assert.match(label.stderr, /refusing to relabel .*\/isa: it does not hold isa-monitoring's marker file/);
    await Deno.writeTextFile(`${dir}/.isa-monitoring`, "ours\n");
    assert.equal((await sh(removeInstallDir(dir).script)).code, 0);
    assert.ok(!await exists(dir), "removed once marked");
  });
});

Deno.test("purge plan: an unmarked install folder is an error naming it, and nothing is planned", async () => {
  const facts = parseFacts("");
  const host = await qualHost({});
  const unmarked = fakeContext(facts, host, [{ match: /du -sh/, stdout: "1.2G unmarked\n" }]);
  await assert.rejects(
    purgeStep.plan(unmarked),
    /refusing to purge \/srv\/isa: it does not hold isa-monitoring's marker file \(\.isa-monitoring\)/,
  );
  const marked = fakeContext(facts, host, [{ match: /du -sh/, stdout: "1.2G marked\n" }]);
  const [change] = await purgeStep.plan(marked);
  assert.equal(change.summary, "remove /srv/isa (1.2G, Prometheus data included)");
  assert.deepEqual(change.command, removeInstallDir("/srv/isa"));
  assert.deepEqual(await purgeStep.plan(fakeContext(facts, host)), [], "absent: nothing to do");
});
