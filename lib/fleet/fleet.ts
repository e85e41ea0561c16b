/**
 * The fleet runner, the one loop over hosts every task shares: its flags and host selection, one
 * secrets load per run, the pool (`--forks`) and rolling batches (`--serial`), the per-host SSH
 * session with its optional lock and probe, the exit code and the one JSON document. A task gives
 * what it does once and what it does on one host.
 */
import { UsageError } from "../base/errors.ts";
import { pool } from "../base/pool.ts";
import { colour, say } from "../base/output.ts";
import { redact } from "../base/redact.ts";
import type { ExtraFlags, RunOptions } from "../engine/cli.ts";
import { EXIT, exitCode, type HostOutcome, type HostReport } from "../engine/report.ts";
import {
  gatherHost,
  hostProbeScript,
  type HostState,
  parseHostProbe,
  probeLogLine,
} from "../facts/gather.ts";
import type { ProbeNeeds } from "../facts/needs.ts";
import type { Host } from "../inventory/host.ts";
import type { Inventory } from "../inventory/load.ts";
import { loadSecrets, type Secrets } from "../inventory/secrets.ts";
import { HostLock } from "../transport/host_lock.ts";
import { Ssh } from "../transport/ssh.ts";
import { confirmProd } from "./selection.ts";
import { parseSerial, runSerial, serialSize } from "./serial.ts";
import { startTask, type TaskFlags, usageGuard } from "./start.ts";

/** One run of a task: its options, its hosts, and the secrets of their deployment (loaded once, on first use). */
export interface FleetRun {
  task: string;
  opts: RunOptions;
  /** The task's own flags, by name. */
  extra: Record<string, string | boolean | undefined>;
  inventory: Inventory;
  hosts: Host[];
  /** The deployment's secrets: loaded (and checked) on the first call, shared by every host. */
  secrets: () => Promise<Secrets>;
  /** Seconds since the task started. */
  seconds: () => number;
}

/** How a run ends: what the JSON document holds around `exitCode`, and what a person reads instead. */
export interface FleetEnd {
  /** A failure that belongs to no host (grafana: the Grafana API refused). */
  otherFailure?: boolean;
  /** Fields of the JSON document between `task` and `exitCode`. */
  lead?: Record<string, unknown>;
  /** Fields of the JSON document after `exitCode` (the hosts, …). */
  rest: Record<string, unknown>;
  /** Printed instead of the JSON document (without --json). */
  recap?: (code: number) => void;
}

/** A task as the fleet runner runs it. */
export interface FleetTask<R, P> {
  name: string;
  /** The task's own flags and the flag combinations it refuses. */
  flags?: TaskFlags<ExtraFlags>;
  /** Rolling batches (`--serial N`): no next batch once a host of the current one failed. */
  serial?: boolean;
  /** Ask before changing production hosts from a terminal (confirmProd). */
  changesHosts?: boolean;
  /** Once, before any host is contacted: checks the input (UsageError), prints the title. */
  prepare: (run: FleetRun) => Promise<P> | P;
  /** One host; never throws (a failure is in its result). */
  host: (host: Host, run: FleetRun, prepared: P) => Promise<R>;
  /** How a host's result counts in the exit code. */
  outcome: (result: R) => HostOutcome;
  /** Before each batch of a rolling run (without --json), when there is more than one. */
  printBatch?: (batch: Host[], size: number) => void;
  /** After every host's result (without --json), as the pool finishes them. */
  printHost?: (result: R) => void;
  /** After every host: further work, then the document's fields and the recap. */
  finish: (results: R[], run: FleetRun, prepared: P) => Promise<FleetEnd> | FleetEnd;
  /** Stops the pool with a message on Ctrl-C or SIGTERM (exit 130) instead of the default. */
  onInterrupt?: string;
}

const SERIAL_FLAG = {
  serial: {
    type: "string",
    value: "N",
    help: "rolling batches of N hosts (0: all at once); no next batch once a host failed",
    example: "deno task TASK --prod --serial 1",
  },
} as const;

/** `--serial` as a number (undefined when not given); a bad value is a usage error. */
function serialFlag(v: string | boolean | undefined): number | undefined {
  try {
    return parseSerial(v as string | undefined);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * A task's start: parses its flags and selects its hosts (`--help` and `--list-hosts` answered here:
 * undefined, the task is done). The secrets load on first use, once per run.
 */
export async function startFleet(
  task: string,
  args: string[],
  flags: TaskFlags<ExtraFlags> = {},
  started = performance.now(),
): Promise<FleetRun | undefined> {
  const start = await startTask(task, args, flags);
  if (!start) return undefined;
  let secrets: Promise<Secrets> | undefined;
  return {
    task,
    opts: start.opts,
    extra: start.extra,
    inventory: start.inventory,
    hosts: start.hosts,
    secrets: () => (secrets ??= loadSecrets(start.inventory.secrets)),
    seconds: () => (performance.now() - started) / 1000,
  };
}

/** Prints a run's one JSON document, redacted: `task`, the task's leading fields, `exitCode`, the rest. */
export function printDocument(
  task: string,
  code: number,
  lead: Record<string, unknown>,
  rest: Record<string, unknown>,
): void {
  console.log(redact(JSON.stringify({ task, ...lead, exitCode: code, ...rest }, null, 2)));
}

/** The exit code of a run from each host's outcome (see `exitCode`). */
export function fleetExitCode<R>(results: R[], outcome: (r: R) => HostOutcome, otherFailure = false): number {
  return exitCode(results.map((r) => ({ status: outcome(r) })), otherFailure);
}

/** Runs `task` with `args` on its selected hosts; prints as it goes and returns the exit code. */
export function runFleet<R, P>(task: FleetTask<R, P>, args: string[]): Promise<number> {
  return usageGuard(async () => {
    const started = performance.now();
    const flags: TaskFlags<ExtraFlags> = task.serial
      ? {
        ...task.flags,
        extra: { ...task.flags?.extra, ...SERIAL_FLAG },
        validate: (opts, extra) => {
          task.flags?.validate?.(opts, extra);
          void serialFlag(extra.serial);
        },
      }
      : task.flags ?? {};
    const run = await startFleet(task.name, args, flags, started);
    if (!run) return EXIT.ok;
    const { opts, hosts } = run;
    const serial = task.serial ? serialSize(serialFlag(run.extra.serial), run.inventory, hosts.length) : 0;
    if (task.changesHosts) confirmProd(hosts, opts, task.name);
    const prepared = await task.prepare(run);
    const one = async (h: Host) => {
      const r = await task.host(h, run, prepared);
      if (!opts.json) task.printHost?.(r);
      return r;
    };
    const stop = task.onInterrupt === undefined ? undefined : interruptWith(task.onInterrupt);
    let results: R[];
    try {
      // Rolling batches are deploy's: their hosts not started are HostReports, as its results.
      results = task.serial
        ? await runSerial(hosts, serial, (batch) => {
          if (serial < hosts.length && !opts.json) task.printBatch?.(batch, serial);
          return pool(batch, opts.forks, one) as Promise<unknown[]> as Promise<HostReport[]>;
        }) as unknown[] as R[]
        : await pool(hosts, opts.forks, one);
    } finally {
      stop?.();
    }
    const end = await task.finish(results, run, prepared);
    const code = fleetExitCode(results, task.outcome, end.otherFailure);
    if (opts.json) printDocument(task.name, code, end.lead ?? {}, end.rest);
    else end.recap?.(code);
    return code;
  });
}

/** Ends the process with `message` and exit 130 on Ctrl-C or SIGTERM; returns what removes the listeners. */
function interruptWith(message: string): () => void {
  const onInterrupt = () => {
    console.error(redact(message));
    Deno.exit(EXIT.interrupted);
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  Deno.addSignalListener("SIGTERM", onInterrupt);
  return () => {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    Deno.removeSignalListener("SIGTERM", onInterrupt);
  };
}

/** A host's -v lines as the read-only tasks print them: dim, after the host's name; none under --json. */
export function hostDebug(host: Host, opts: RunOptions): (line: string) => void {
  return (l) => {
    if (opts.verbose && !opts.json) say(colour.dim(`${host.name.padEnd(10)} ${l}`));
  };
}

/** Opens an SSH session to `host`, runs `body` in it, and closes it however `body` ends. */
export async function withSession<T>(
  host: Host,
  debug: (line: string) => void,
  body: (ssh: Ssh) => Promise<T>,
): Promise<T> {
  const ssh = new Ssh(host, { debug });
  try {
    await ssh.open();
    return await body(ssh);
  } finally {
    await ssh.close().catch(() => {});
  }
}

/**
 * The host's batched probe (the facts and what `needs` asks), run under the host lock when `lock`
 * is given (in the lock's own session: no state read before the lock is ours), else without.
 * The caller releases the returned lock.
 */
export async function probeHost(
  ssh: Ssh,
  needs: ProbeNeeds,
  lock?: { owner: string; debug: (line: string) => void },
): Promise<{ state: HostState; lock?: HostLock }> {
  if (!lock) return { state: await gatherHost(ssh, needs) };
  const held = await HostLock.acquire(ssh, lock.owner, {
    script: hostProbeScript(ssh, needs),
    what: probeLogLine(needs),
    log: lock.debug,
  });
  return { state: parseHostProbe(held.probed, needs), lock: held };
}
