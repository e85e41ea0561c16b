/**
 * Waiting until a container we just created, recreated or started serves: an HTTP request from the
 * host itself (curl, over our SSH connection) to the container's address on our Docker network.
 * Not `docker exec`: the lab's images have no shell and no HTTP client, and the official ones
 * (busybox, alpine) differ in what they have. Not the published port: the exporter has none, and
 * Prometheus has none behind Traefik. A container that exits or restarts instead fails at once,
 * with its exit code and its last log lines. The check's script is in lib/commands/readiness.ts.
 */
import type Docker from "dockerode";
import { redact } from "../base/redact.ts";
import type { Ssh } from "../transport/ssh.ts";
import { exec } from "../transport/exec.ts";
import { readinessCheck, type ReadinessProbe } from "../commands/readiness.ts";

/** Default bound of a wait. */
export const READY_TIMEOUT_MS = 60_000;

/** A container that stopped or restarted instead of becoming ready, or never became ready. */
export class NotReadyError extends Error {
  override name = "NotReadyError";
}

/** Reads the script's output: ready, or why not (for the progress line). */
export function parseReadiness(stdout: string, probe: ReadinessProbe): { ready: boolean; detail: string } {
  const code = /^@@code (\S+)$/m.exec(stdout)?.[1] ?? "none";
  if (code === "000" || code === "none") return { ready: false, detail: "no answer yet" };
  if (code === "nofile" || code === "badfile") {
    return { ready: false, detail: `${probe.auth?.passwordFile} is missing or not hex` };
  }
  if (Number(code) !== probe.status) return { ready: false, detail: `HTTP ${code}` };
  if (probe.bodyLine && !stdout.split("\n").some((l) => l.startsWith(probe.bodyLine!))) {
    return { ready: false, detail: `HTTP ${code} without a line starting '${probe.bodyLine}'` };
  }
  return { ready: true, detail: `HTTP ${code}` };
}

/** Splits Docker's multiplexed log stream (8-byte frame headers) into text; plain text passes through. */
export function demuxLogs(buf: Uint8Array): string {
  const dec = new TextDecoder();
  const parts: string[] = [];
  let i = 0;
  while (i + 8 <= buf.length && buf[i] <= 2 && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const len = (buf[i + 4] << 24 >>> 0) + (buf[i + 5] << 16) + (buf[i + 6] << 8) + buf[i + 7];
    parts.push(dec.decode(buf.subarray(i + 8, i + 8 + len)));
    i += 8 + len;
  }
  if (i < buf.length) parts.push(dec.decode(buf.subarray(i)));
  return parts.join("");
}

/** The last `n` lines of a container's output (stdout and stderr), redacted of registered secrets. */
export async function lastLogLines(docker: Docker, id: string, n = 20): Promise<string> {
  try {
    const raw = await docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false, tail: n });
    const buf = typeof raw === "string" ? new TextEncoder().encode(raw) : new Uint8Array(raw as Uint8Array);
    const text = demuxLogs(buf).replaceAll("\r\n", "\n").trimEnd();
    return redact(text.split("\n").slice(-n).join("\n"));
  } catch (e) {
    return `(could not read its logs: ${e instanceof Error ? e.message : e})`;
  }
}

/** One look at the container: null while it runs as started, else why it failed. */
async function failure(docker: Docker, id: string, restarts0: number): Promise<string | null> {
  const info = await docker.getContainer(id).inspect();
  const s = info.State;
  const restarts = info.RestartCount ?? 0;
  if (s.Running && !s.Restarting && restarts === restarts0) return null;
  if (!s.Running) return `stopped (${s.Status}); exit code ${s.ExitCode}${s.Error ? `, ${s.Error}` : ""}`;
  return `keeps restarting; exit code ${await lastExitCode(docker, id)}`;
}

/**
 * The exit code of a container caught restarting. Docker shows 0 while the restarted process runs,
 * so the restart policy is turned off and the next exit awaited (5 s at most; then it is stopped).
 */
async function lastExitCode(docker: Docker, id: string): Promise<string> {
  const c = docker.getContainer(id);
  await c.update({ RestartPolicy: { Name: "no" } }).catch(() => {});
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    const s = (await c.inspect()).State;
    if (!s.Running && !s.Restarting) return String(s.ExitCode);
    await new Promise((res) => setTimeout(res, 200));
  }
  await c.stop({ t: 1 }).catch(() => {});
  return "unknown (it was running again after 5 s)";
}

/** Options of a wait. */
export interface WaitOptions {
  timeoutMs?: number;
  progress?: (line: string) => void;
  /** Time between checks. */
  everyMs?: number;
}

/**
 * Polls until `check` says ready, the container stops or restarts (NotReadyError with its exit code
 * and last log lines at once), or the time is up (NotReadyError with the last reason and logs).
 * A progress line every 5 s says what is awaited and why it isn't there yet.
 */
export async function waitUntilReady(
  docker: Docker,
  id: string,
  name: string,
  what: string,
  check: () => Promise<{ ready: boolean; detail: string }>,
  opts: WaitOptions = {},
): Promise<void> {
  const timeout = opts.timeoutMs ?? READY_TIMEOUT_MS;
  const started = Date.now();
  const restarts0 = (await docker.getContainer(id).inspect()).RestartCount ?? 0;
  let lastLine = started;
  let detail = "not checked yet";
  for (;;) {
    const failed = await failure(docker, id, restarts0);
    if (failed) {
      throw new NotReadyError(
        `container ${name} ${failed}; its last log lines:\n${indent(await lastLogLines(docker, id))}`,
      );
    }
    const r = await check().catch((e) => ({
      ready: false,
      detail: e instanceof Error ? e.message : String(e),
    }));
    if (r.ready) {
      opts.progress?.(`${name}: ready after ${((Date.now() - started) / 1000).toFixed(1)}s (${what})`);
      return;
    }
    detail = r.detail;
    const now = Date.now();
    if (now - started >= timeout) {
      throw new NotReadyError(
        `container ${name} not ready after ${timeout / 1000}s (${what}: ${detail}); its last log lines:\n${
          indent(await lastLogLines(docker, id))
        }`,
      );
    }
    if (now - lastLine >= 5000) {
      lastLine = now;
      opts.progress?.(`${name}: waiting for ${what} (${Math.round((now - started) / 1000)}s, ${detail})`);
    }
    await new Promise((res) => setTimeout(res, opts.everyMs ?? 300));
  }
}

function indent(text: string): string {
  return (text || "(no output)").split("\n").map((l) => `  | ${l}`).join("\n");
}

/** The container's address on `network`, or its first address. */
export async function containerIp(docker: Docker, id: string, network: string): Promise<string | null> {
  const nets = (await docker.getContainer(id).inspect()).NetworkSettings.Networks ?? {};
  return nets[network]?.IPAddress || Object.values(nets).find((n) => n.IPAddress)?.IPAddress || null;
}

/** Waits until container `id` answers `probe` from the host (see the module comment). */
export async function waitHttpReady(
  docker: Docker,
  ssh: Ssh,
  id: string,
  name: string,
  network: string,
  probe: ReadinessProbe,
  opts: WaitOptions = {},
): Promise<void> {
  await waitUntilReady(docker, id, name, probe.what, async () => {
    const ip = await containerIp(docker, id, network);
    if (!ip) return { ready: false, detail: "no address yet" };
    const r = await exec(ssh, readinessCheck(ip, probe, name));
    return parseReadiness(r.stdout, probe);
  }, opts);
}
