/**
 * The test watchdog (tests/helpers/suite_watch.ts): it reads deno test's output, and a file that hangs is
 * stopped with a summary CI can read, naming the file, its processes gone.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { newState, overLimit, readLine, stoppedSummary } from "../helpers/suite_watch.ts";
import { until } from "../helpers/until.ts";

const WATCH = new URL("../helpers/suite_watch.ts", import.meta.url).href;

Deno.test("the watchdog counts top-level results, not steps, and knows the running file", () => {
  const s = newState(0);
  for (
    const l of [
      "running 2 tests from ./tests/lab/a_test.ts",
      "first ... ok (1s)",
      "  a step ... ok (1ms)",
      "\x1b[0msecond ... \x1b[31mFAILED\x1b[0m (2s)",
      "  a failed step ... FAILED (1ms)",
    ]
  ) readLine(s, l, 5);
  assert.deepEqual(s, { file: "./tests/lab/a_test.ts", fileSince: 5, passed: 1, failed: 1, summary: null });
  readLine(s, "FAILED | 1 passed (1 step) | 1 failed (1 step) (3s)", 6);
  assert.equal(s.summary, "FAILED | 1 passed (1 step) | 1 failed (1 step) (3s)");
});

Deno.test("limits: a file over its own, the run over its own; the summary counts the hung file as failed", () => {
  const limits = { fileMs: 1000, totalMs: 5000 };
  const s = newState(0);
  readLine(s, "running 1 test from ./x_test.ts", 100);
  assert.equal(overLimit(s, 0, 1100, limits), null);
  assert.equal(overLimit(s, 0, 1101, limits), "./x_test.ts hung: still running after 1 s (its limit)");
  readLine(s, "running 1 test from ./y_test.ts", 4500);
  assert.equal(overLimit(s, 0, 5001, limits), "the suite ran over its 5 s limit (in ./y_test.ts)");
  s.passed = 3;
  assert.equal(stoppedSummary(s, "why"), "FAILED | 3 passed | 1 failed (stopped by the watchdog: why)");
});

Deno.test("a hanging test file is stopped: summary line naming it, exit 1, its processes killed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "isa-watch-" });
  try {
    const pidFile = join(dir, "pid");
    await Deno.writeTextFile(join(dir, "a_test.ts"), `Deno.test("passes", () => {});\n`);
    await Deno.writeTextFile(
      join(dir, "b_test.ts"),
      `Deno.test("hangs", async () => {
        const c = new Deno.Command("sleep", { args: ["300"] }).spawn();
        await Deno.writeTextFile(${JSON.stringify(pidFile)}, String(c.pid));
        await c.status;
      });\n`,
    );
    const code = `import { watchedTest } from ${JSON.stringify(WATCH)};
      Deno.exit(await watchedTest(["-A", "--no-check", "."], { fileMs: 4000, totalMs: 120000 }));`;
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", code],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(r.stdout);
    assert.equal(r.code, 1, out + new TextDecoder().decode(r.stderr));
    assert.match(
      out,
      /\nFAILED \| 1 passed \| 1 failed \(stopped by the watchdog: \.\/b_test\.ts hung: still running after 4 s \(its limit\)\)\n$/,
    );
    const pid = Number(await Deno.readTextFile(pidFile));
    // Gone, or a zombie waiting for whoever inherits it to reap it: either way no longer running.
    const state = async () =>
      (await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "")).replace(/^.*\) /, "")[0] ?? "gone";
    const running = await until("the hung test's sleep to end", 10_000, async () => {
      const s = await state();
      return s === "gone" || s === "Z" ? s : undefined;
    }).catch((e) => e.message);
    assert.match(running, /^(gone|Z)$/, `the hung test's sleep (pid ${pid}) was killed`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
