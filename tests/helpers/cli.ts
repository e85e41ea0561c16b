/** Runs the real CLI as an operator would: tests (lab and unit) and bench/ share this one runner. */
import { join } from "node:path";
import { projectRoot } from "../../lib/inventory/load.ts";
import { declaredRun } from "./tasks.ts";

/** A finished CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the whole process (Deno start-up included), in seconds. */
  seconds: number;
  /** Set when the process was killed (e.g. by the timeout). */
  signal: Deno.Signal | null;
  // deno-lint-ignore no-explicit-any
  json?: any;
}

/**
 * Runs `deno run -A tasks/<file> args` from the project root with `env` added (NO_COLOR=1 always),
 * stdin closed; parses stdout as JSON when args include --json and stdout is a JSON object.
 * `declared` runs it under the permissions its task declares in deno.json instead of -A (as
 * `deno task` would; a test whose files live outside them, e.g. in a temporary folder, keeps -A).
 * `timeoutMs` kills a run that hangs (its `signal` then says so). `prefix` runs it under another
 * program (e.g. the bench's `/usr/bin/time -f %M -o FILE`), which must pass stdout and the exit code on.
 */
export async function cli(
  file: string,
  args: string[],
  env: Record<string, string> = {},
  opts: { timeoutMs?: number; prefix?: string[]; declared?: boolean } = {},
): Promise<CliRun> {
  const flags = opts.declared ? declaredRun(file, env).flags : ["-A"];
  const deno = [Deno.execPath(), "run", ...flags, join(projectRoot, "tasks", file), ...args];
  const [program, ...rest] = [...(opts.prefix ?? []), ...deno];
  const cmd = new Deno.Command(program, {
    args: rest,
    cwd: projectRoot,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined,
  });
  const t0 = performance.now();
  const out = await cmd.output();
  const seconds = (performance.now() - t0) / 1000;
  const dec = new TextDecoder();
  const run: CliRun = {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    seconds,
    signal: out.signal,
  };
  if (args.includes("--json") && run.stdout.trim().startsWith("{")) {
    try {
      run.json = JSON.parse(run.stdout);
    } catch {
      // Left undefined: the caller's check of `json` fails with stdout in its message.
    }
  }
  return run;
}
