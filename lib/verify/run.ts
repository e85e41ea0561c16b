import type Docker from "dockerode";
import type { RunOptions } from "../engine/cli.ts";
import { UnreachableError } from "../base/errors.ts";
import type { Host } from "../inventory/host.ts";
import { colour, say } from "../base/output.ts";
import { redact } from "../base/redact.ts";
import type { Credential } from "../inventory/secrets.ts";
import type { Ssh } from "../transport/ssh.ts";
import { hostDebug, withSession } from "../fleet/fleet.ts";
import { checkExporter, type CheckResult, checkServerStatus, checkTarget } from "./evidence.ts";
import { seconds } from "../base/duration.ts";
import { gatherHostEvidence } from "./gather.ts";
import { liveCheck } from "./live.ts";
import { clientFor, dashboardPortCheck, frontendCheck, publicQueryCheck } from "./public.ts";

/** verify-metrics' answer for one host. */
export interface HostVerdict {
  host: string;
  status: "ok" | "failed" | "unreachable";
  checks: CheckResult[];
  error?: string;
  seconds: number;
}

/** One round of checks 1–6 on a host, with the host certificate it read. */
export async function checkHost(
  ssh: Ssh,
  docker: Docker,
  cred: Credential,
): Promise<{ checks: CheckResult[]; certPem: string | null }> {
  const host = ssh.host;
  const intervalS = seconds(host.vars.scrape_interval);
  const ev = await gatherHostEvidence(ssh, docker, cred);
  const client = clientFor(ev.certPem);
  try {
    const [c4, c5, c6] = await Promise.all([
      publicQueryCheck(host, client, cred, intervalS),
      frontendCheck(host, client, cred),
      dashboardPortCheck(host, client, cred),
    ]);
    const checks = [
      checkServerStatus(ev.serverStatus.status, ev.serverStatus.body),
      checkExporter(ev.exporterRunning, ev.exporterMetrics),
      checkTarget(ev.targets, intervalS),
      c4,
      c5,
      c6,
    ];
    return { checks, certPem: ev.certPem };
  } finally {
    client?.close();
  }
}

/** Runs the checks on one host, retrying until `waitS` when given; adds the live check on demand. */
export async function verifyHost(
  host: Host,
  cred: Credential,
  opts: RunOptions & { waitS: number; live: boolean },
): Promise<HostVerdict> {
  const t0 = performance.now();
  const verdict: HostVerdict = { host: host.name, status: "ok", checks: [], seconds: 0 };
  try {
    await withSession(host, hostDebug(host, opts), (ssh) => runChecks(ssh, cred, opts, verdict));
    verdict.status = verdict.checks.every((c) => c.ok) ? "ok" : "failed";
  } catch (e) {
    verdict.status = e instanceof UnreachableError ? "unreachable" : "failed";
    verdict.error = redact((e as Error).message);
  } finally {
    verdict.seconds = (performance.now() - t0) / 1000;
  }
  return verdict;
}

/** The checks in one host's session, into `verdict.checks`: again every 3 s until `waitS`, then the live one. */
async function runChecks(
  ssh: Ssh,
  cred: Credential,
  opts: RunOptions & { waitS: number; live: boolean },
  verdict: HostVerdict,
): Promise<void> {
  const host = ssh.host;
  const socketPath = await ssh.dockerSocketPath();
  // Loaded here, not at start-up: `--list-hosts`, `--help` and usage errors answer without it.
  const { default: Dockerode } = await import("dockerode");
  const docker = new Dockerode({ socketPath });
  const deadline = Date.now() + opts.waitS * 1000;
  let certPem: string | null = null;
  for (;;) {
    ({ checks: verdict.checks, certPem } = await checkHost(ssh, docker, cred));
    if (verdict.checks.every((c) => c.ok) || Date.now() >= deadline) break;
    if (!opts.json) {
      const failing = verdict.checks.filter((c) => !c.ok).map((c) => c.id).join(",");
      say(colour.dim(`${host.name.padEnd(10)} … waiting (checks ${failing} not yet ✓)`));
    }
    await new Promise((r) => setTimeout(r, 3000));
  }
  if (opts.live && verdict.checks.every((c) => c.ok)) {
    // The certificate the checks already read: no second round trip.
    const client = clientFor(certPem);
    try {
      verdict.checks.push(await liveCheck(host, client, cred, seconds(host.vars.scrape_interval)));
    } finally {
      client?.close();
    }
  }
}

/** Prints a host's rows: ✓/✗, the evidence, and for a failure its likely cause and fix. */
export function printVerdict(v: HostVerdict): void {
  const head = v.status === "ok"
    ? colour.green("ok")
    : v.status === "failed"
    ? colour.red("FAILED")
    : colour.magenta("UNREACHABLE");
  say(`${colour.bold(v.host)} ${head} ${colour.dim(`(${v.seconds.toFixed(1)}s)`)}`);
  if (v.error) say(`  ${colour.red("✗")} ${v.error}`);
  for (const c of v.checks) {
    say(`  ${c.ok ? colour.green("✓") : colour.red("✗")} ${c.id}. ${c.name}: ${c.evidence}`);
    if (!c.ok) {
      if (c.cause) say(`       cause: ${c.cause}`);
      if (c.fix) say(`       fix:   ${c.fix}`);
    }
  }
}
