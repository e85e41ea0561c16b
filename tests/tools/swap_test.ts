/**
 * Replacing a container against the local engine: the previous one waits aside until the new one is
 * ready, comes back when it fails, and a run that died midway is finished by the next. Needs docker
 * and gcc (tiny static images), and sh for the kept-copies scripts.
 */
import assert from "node:assert/strict";
import $ from "dax";
import Docker from "dockerode";
import {
  containerState,
  ensureNetwork,
  previousName,
  reconcileContainer,
  removeContainer,
  type SwapHooks,
} from "../../lib/containers/reconcile.ts";
import { waitUntilReady } from "../../lib/containers/readiness.ts";
import { keepCopies, restoreCopies } from "../../lib/commands/previous_files.ts";
import { type ContainerSpec, specHash } from "../../lib/containers/spec.ts";
import { ensureTinyImage, FAILING_C, SLEEPER_C } from "../helpers/tiny_images.ts";
import { MANAGED_LABEL } from "../../lib/base/names.ts";
import { ForeignContainerError } from "../../lib/facts/docker_snapshot.ts";

const SLEEPER = "isa-test/sleeper:1";
const FAILING = "isa-test/failing:1";
const NET = "isa-test-swap-net";
const NAME = "isa-test-swap";

function spec(image: string, memoryMb: number): ContainerSpec {
  return {
    name: NAME,
    image,
    files: [],
    create: {
      Image: image,
      Labels: { [MANAGED_LABEL]: "true" },
      HostConfig: {
        NetworkMode: NET,
        Memory: memoryMb * 1024 * 1024,
        RestartPolicy: { Name: "unless-stopped" },
      },
    },
  };
}

/**
 * Hooks that count the file callbacks; "ready" = its process has been up 1.5 s since its last
 * start (a crash-looping one never is: it exits within milliseconds of each start).
 */
function hooks(docker: Docker, calls: string[]): SwapHooks {
  return {
    waitReady: (id) =>
      waitUntilReady(docker, id, NAME, "1.5 s up", async () => {
        const s = (await docker.getContainer(id).inspect()).State;
        const up = Date.now() - Date.parse(s.StartedAt);
        return { ready: s.Running && !s.Restarting && up > 1500, detail: `up ${up} ms` };
      }, { timeoutMs: 10_000 }),
    restoreFiles: () => Promise.resolve(void calls.push("restore")),
    dropFiles: () => Promise.resolve(void calls.push("drop")),
  };
}

async function cleanup(docker: Docker): Promise<void> {
  await removeContainer(docker, NAME);
  await removeContainer(docker, previousName(NAME));
  await docker.getNetwork(NET).remove().catch(() => {});
}

Deno.test("swap on the local engine: rollback on a failing entrypoint, interrupted runs finished, foreign left alone", async (t) => {
  const docker = new Docker({ socketPath: "/var/run/docker.sock" });
  await ensureTinyImage(docker, SLEEPER, SLEEPER_C);
  await ensureTinyImage(docker, FAILING, FAILING_C);
  await cleanup(docker);
  await ensureNetwork(docker, NET);
  try {
    const a = spec(SLEEPER, 32);
    const first = await reconcileContainer(docker, a, specHash(a, {}), hooks(docker, []));
    assert.equal(first.action, "create");

    await t.step(
      "a new container that exits: it is removed, the previous one runs again under its name",
      async () => {
        const calls: string[] = [];
        const b = spec(FAILING, 32);
        const err = await reconcileContainer(docker, b, specHash(b, {}), hooks(docker, calls)).then(
          () => null,
          (e: Error) => e,
        );
        assert.ok(err, "the failure is reported");
        assert.match(err.message, /exit code 3/);
        assert.match(err.message, /isa-test: failing on purpose/, "its log lines are in the error");
        assert.match(err.message, /previous isa-test-swap container is running again/);
        const st = await containerState(docker, NAME);
        assert.equal(st?.id, first.id, "the very same container");
        assert.equal(st?.running, true);
        assert.equal(st?.hash, specHash(a, {}));
        assert.equal(await containerState(docker, previousName(NAME)), null, "nothing left aside");
        assert.deepEqual(calls, ["restore"], "the old files were put back before it started");
      },
    );

    await t.step(
      "a run that died after putting the old one aside: the next one finishes the swap",
      async () => {
        await docker.getContainer(NAME).stop({ t: 1 });
        await docker.getContainer(NAME).rename({ name: previousName(NAME) });
        const calls: string[] = [];
        const a2 = spec(SLEEPER, 48);
        const r = await reconcileContainer(docker, a2, specHash(a2, {}), hooks(docker, calls));
        assert.equal(r.action, "recreate");
        assert.equal((await containerState(docker, NAME))?.running, true);
        assert.equal(await containerState(docker, previousName(NAME)), null);
        assert.deepEqual(calls, ["drop"]);
      },
    );

    await t.step(
      "a run that died before removing the previous one: removed once the new one is ready",
      async () => {
        const a2 = spec(SLEEPER, 48);
        const cur = await containerState(docker, NAME);
        await docker.createContainer({
          name: previousName(NAME),
          Image: SLEEPER,
          Labels: { [MANAGED_LABEL]: "true" },
        });
        const calls: string[] = [];
        const r = await reconcileContainer(docker, a2, specHash(a2, {}), hooks(docker, calls));
        assert.equal(r.action, "none");
        assert.equal(r.id, cur?.id, "the ready container is kept");
        assert.equal(await containerState(docker, previousName(NAME)), null);
        assert.deepEqual(calls, ["drop"]);
      },
    );

    await t.step("a container with our name but not our label: error naming it, not touched", async () => {
      await removeContainer(docker, NAME);
      const foreign = await docker.createContainer({ name: NAME, Image: SLEEPER });
      const before = await foreign.inspect();
      await assert.rejects(
        reconcileContainer(docker, a, specHash(a, {}), hooks(docker, [])),
        (e: Error) => e instanceof ForeignContainerError && e.message.includes(`named ${NAME} `),
      );
      const after = await foreign.inspect();
      assert.equal(after.Id, before.Id);
      assert.equal(after.State.Status, "created", "never started, stopped or renamed");
      assert.equal(after.Name, `/${NAME}`);
    });
  } finally {
    await cleanup(docker);
  }
});

Deno.test("kept copies with the local sh: kept once, put back, an absent file removed again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "isa-test-keep-" });
  try {
    const f = `${dir}/prometheus.yml`;
    const g = `${dir}/new file`;
    await Deno.writeTextFile(f, "old\n");
    await Deno.chmod(f, 0o600);
    await $`sh -s`.stdinText(keepCopies([f, g]).script);
    await Deno.writeTextFile(f, "intermediate\n");
    // A second keep (the next run after one that died) must not overwrite the first copy.
    await $`sh -s`.stdinText(keepCopies([f, g]).script);
    await Deno.writeTextFile(f, "new\n");
    await Deno.writeTextFile(g, "created\n");
    await $`sh -s`.stdinText(restoreCopies([f, g]).script);
    assert.equal(await Deno.readTextFile(f), "old\n");
    assert.equal((await Deno.stat(f)).mode! & 0o777, 0o600, "mode kept");
    assert.equal(await Deno.stat(g).then(() => true, () => false), false, "did not exist before: removed");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["prometheus.yml"], "no copy left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
