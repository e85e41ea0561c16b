/** Helpers for lab-backed tests: run the real CLI, reach lab hosts, write variant inventories. */
import $ from "dax";
import { join } from "node:path";
import { projectRoot } from "../lib/inventory.ts";
import { ensureLab, type LabInfo } from "../lib/lab/mod.ts";

/** A finished CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  // deno-lint-ignore no-explicit-any
  json?: any;
}

/** Runs `deno run -A tasks/<file>` with args, as an operator would; parses stdout when --json. */
export async function cli(file: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const r = await $`deno run -A ${join(projectRoot, "tasks", file)} ${args}`
    .cwd(projectRoot)
    .env({ NO_COLOR: "1", ...env })
    .stdout("piped")
    .stderr("piped")
    .noThrow();
  const run: CliRun = { code: r.code, stdout: r.stdout, stderr: r.stderr };
  if (args.includes("--json") && r.stdout.trim().startsWith("{")) run.json = JSON.parse(r.stdout);
  return run;
}

/** Runs a shell command on a lab host as root through the lab's ssh config. */
export async function onHost(lab: LabInfo, host: string, command: string): Promise<{ code: number; out: string }> {
  const r = await $`ssh -F ${lab.sshConfig} -o BatchMode=yes ${host} ${command}`
    .stdout("piped").stderr("piped").noThrow();
  return { code: r.code, out: (r.stdout + r.stderr).trim() };
}

/**
 * Writes a variant of the lab inventory (another deployment, other vars) under .lab/ and returns its
 * path; relative paths in it keep pointing at the lab's ssh config and secrets.
 */
export async function labVariant(
  lab: LabInfo,
  name: string,
  edit: (text: string) => string,
): Promise<string> {
  const file = join(lab.dir, `variant-${name}.yml`);
  await Deno.writeTextFile(file, edit(await Deno.readTextFile(lab.inventory)));
  return file;
}

/** The lab, up (idempotent and fast when it already is). */
export function lab(): Promise<LabInfo> {
  return ensureLab(2);
}

/** HTTP status of a GET from the controller (0 when nothing answers). */
export async function httpStatus(url: string, init: RequestInit & { client?: Deno.HttpClient } = {}): Promise<number> {
  try {
    const r = await fetch(url, { ...init, signal: AbortSignal.timeout(4000) });
    await r.body?.cancel();
    return r.status;
  } catch {
    return 0;
  }
}
