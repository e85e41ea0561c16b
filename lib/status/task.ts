import { BEGIN } from "../render/apache_block.ts";
import { UnreachableError, UsageError } from "../base/errors.ts";
import { colour, say } from "../base/output.ts";
import { type HostOutcome } from "../engine/report.ts";
import { redact } from "../base/redact.ts";
import { mergeNeeds } from "../facts/needs.ts";
import { hostContext } from "../steps/context.ts";
import {
  fleetExitCode,
  type FleetRun,
  type FleetTask,
  hostDebug,
  probeHost,
  runFleet,
  withSession,
} from "../fleet/fleet.ts";
import type { Ssh } from "../transport/ssh.ts";
import { exec } from "../transport/exec.ts";
import { statusDisk } from "../commands/status.ts";
import { deploySteps } from "../steps/mod.ts";
import type { Host } from "../inventory/host.ts";
import type { Credential } from "../inventory/secrets.ts";
import { seconds } from "../base/duration.ts";
import { clientFor, get, publicUrl, scoreboardAgeQuery } from "../verify/public.ts";
import {
  certDaysLeft,
  type ContainerRow,
  type FiringAlert,
  human,
  pinnedImage,
  problems,
  QUIET_SEVERITIES,
  sizeBytes,
  type TargetRow,
  targetRows,
} from "./checks.ts";
import { MANAGED_LABEL } from "../base/names.ts";
import { sections } from "../base/probe_sections.ts";

/** status' answer for one host. */
export interface HostStatus {
  host: string;
  /** ok, drift (a deploy would change something), attention (problems), or unreachable. */
  status: "ok" | "drift" | "attention" | "unreachable";
  reachable: boolean;
  error?: string;
  containers: ContainerRow[];
  apacheBlock: boolean;
  certificate: { daysLeft: number | null; notAfter: string | null };
  tsdb: { bytes: number | null; retentionTime: string | null; retentionSize: string | null };
  targets: TargetRow[] | null;
  alerts: FiringAlert[];
  /** Seconds since the newest apache_scoreboard sample, as the host's endpoint answers it. */
  lastSampleAgeS: number | null;
  /** Per step, what a deploy would now change (drift). */
  drift: { step: string; changes: string[] }[];
  problems: string[];
}

function since(iso: string): string {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 120) return `${s.toFixed(0)}s`;
  if (s < 7200) return `${(s / 60).toFixed(0)}m`;
  if (s < 172800) return `${(s / 3600).toFixed(0)}h`;
  return `${(s / 86400).toFixed(0)}d`;
}

/** status' per-host function: what is deployed, how it does, and what a deploy would change; never throws. */
async function hostStatus(host: Host, run: FleetRun): Promise<HostStatus> {
  const out: HostStatus = {
    host: host.name,
    status: "ok",
    reachable: true,
    containers: [],
    apacheBlock: false,
    certificate: { daysLeft: null, notAfter: null },
    tsdb: { bytes: null, retentionTime: null, retentionSize: null },
    targets: null,
    alerts: [],
    lastSampleAgeS: null,
    drift: [],
    problems: [],
  };
  try {
    await withSession(host, hostDebug(host, run.opts), (ssh) => readStatus(ssh, run, out));
  } catch (e) {
    out.reachable = !(e instanceof UnreachableError);
    out.error = redact((e as Error).message);
  }
  out.status = !out.reachable
    ? "unreachable"
    : out.error || out.problems.length
    ? "attention"
    : out.drift.length
    ? "drift"
    : "ok";
  return out;
}

/** Fills `out` from one host's session: the batched probe, the engine, the plans, the endpoint. */
async function readStatus(ssh: Ssh, run: FleetRun, out: HostStatus): Promise<void> {
  const { host } = ssh;
  const secrets = run.secrets;
  // Drift is planned by the deploy steps: their reads come in the same probe as the facts.
  const needs = mergeNeeds(deploySteps.map((s) => s.needs?.(host) ?? {}));
  const [{ state: { facts, probed } }, disk] = await Promise.all([probeHost(ssh, needs), readDisk(ssh)]);
  out.certificate = {
    daysLeft: certDaysLeft(disk.enddate),
    notAfter: disk.enddate.replace(/^notAfter=/, "") || null,
  };
  out.tsdb.bytes = disk.tsdbBytes;
  const ctx = hostContext(ssh, { facts, probed, needs }, run.opts, secrets, {
    debug: hostDebug(host, run.opts),
    progress: () => {},
  });
  if (facts.docker.running) {
    const d = await ctx.docker();
    const list = await d.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=true`] } });
    for (const c of list) {
      const info = await d.getContainer(c.Id).inspect();
      out.containers.push({
        name: c.Names[0].replace(/^\//, ""),
        state: c.State,
        image: c.Image,
        pinned: pinnedImage(host.vars, c.Names[0].replace(/^\//, "")),
        uptime: info.State.Running ? since(info.State.StartedAt) : "-",
      });
    }
  }
  // Drift is what a deploy would change now: every step's plan, read-only.
  for (const step of deploySteps) {
    try {
      const changes = await step.plan(ctx);
      if (changes.length) out.drift.push({ step: step.id, changes: changes.map((c) => redact(c.summary)) });
    } catch (e) {
      out.drift.push({
        step: step.id,
        changes: [`cannot plan: ${redact((e as Error).message.split("\n")[0])}`],
      });
    }
  }
  if (facts.apache) {
    // The facts probe already read our file.
    out.apacheBlock = facts.apache.ourFile?.includes(BEGIN) ?? false;
  }
  if (disk.certPem) await readEndpoint(host, disk.certPem, (await secrets()).frontend.credentials[0], out);
  out.problems = problems({
    ...out,
    ...out.tsdb,
    certDaysLeft: out.certificate.daysLeft,
    tsdbBytes: out.tsdb.bytes,
    intervalS: seconds(host.vars.scrape_interval),
  });
}

/** The certificate's end date and PEM, and the TSDB's size on disk, in one SSH round trip. */
async function readDisk(
  ssh: Ssh,
): Promise<{ enddate: string; certPem: string | null; tsdbBytes: number | null }> {
  const r = await exec(ssh, statusDisk(ssh.host.vars));
  const s = sections(r.stdout);
  const cert = (s.get("cert") ?? []).join("\n");
  const du = (s.get("tsdb") ?? [])[0];
  return {
    enddate: (s.get("enddate") ?? []).join("\n").trim(),
    certPem: cert.includes("BEGIN CERTIFICATE") ? cert + "\n" : null,
    tsdbBytes: du && /^\d+$/.test(du.trim()) ? Number(du) : null,
  };
}

/** Retention flags, targets, firing alerts and sample age from the host's HTTPS endpoint (its certificate only). */
async function readEndpoint(host: Host, certPem: string, cred: Credential, out: HostStatus): Promise<void> {
  const client = clientFor(certPem);
  const base = publicUrl(host);
  const json = async (path: string) => {
    const a = await get(`${base}${path}`, { client, cred, timeoutMs: 4000 });
    return a.status === 200 ? JSON.parse(a.body)?.data : null;
  };
  try {
    const q = scoreboardAgeQuery(host.name);
    const [flags, targets, alerts, age] = await Promise.all([
      json("/api/v1/status/flags"),
      json("/api/v1/targets?state=active"),
      json("/api/v1/alerts"),
      json(`/api/v1/query?query=${encodeURIComponent(q)}`),
    ]);
    out.tsdb.retentionTime = flags?.["storage.tsdb.retention.time"] ?? null;
    out.tsdb.retentionSize = flags?.["storage.tsdb.retention.size"] ?? null;
    out.targets = targets ? targetRows(targets.activeTargets ?? []) : null;
    const seen = new Map<string, FiringAlert>();
    for (const a of (alerts?.alerts ?? []) as { labels: Record<string, string>; state: string }[]) {
      if (a.state === "firing") {
        seen.set(a.labels.alertname, { name: a.labels.alertname, severity: a.labels.severity ?? "" });
      }
    }
    out.alerts = [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
    const ages = ((age?.result ?? []) as { value: [number, string] }[]).map((r) => Number(r.value[1]));
    out.lastSampleAgeS = ages.length ? Math.min(...ages) : null;
  } finally {
    client?.close();
  }
}

function print(s: HostStatus): void {
  // Long on purpose: one say() per line of the host's report, in the order the operator reads them.
  // Remote text (errors, job names, alert names) is escaped by say() itself.
  const head = s.status === "unreachable"
    ? colour.magenta("unreachable")
    : s.status === "ok"
    ? colour.green("ok, as deployed")
    : [
      s.error || s.problems.length ? colour.red("needs attention") : "",
      s.drift.length ? colour.yellow("drift") : "",
    ].filter(Boolean).join(", ");
  say(`${colour.bold(s.host)} ${head}`);
  if (s.error) say(`  ${s.error}`);
  if (!s.reachable) return;
  if (s.containers.length === 0) say("  containers: none of ours");
  for (const c of s.containers) {
    const pin = !c.pinned
      ? ""
      : c.image === c.pinned
      ? colour.green("pinned ✓")
      : colour.red(`pinned ${c.pinned} ✗`);
    say(`  ${c.name.padEnd(16)} ${c.state.padEnd(9)} ${c.image.padEnd(42)} up ${c.uptime.padEnd(5)} ${pin}`);
  }
  const days = s.certificate.daysLeft;
  say(
    `  certificate: ${days === null ? colour.red("none readable") : `${days} days left`}${
      s.certificate.notAfter ? colour.dim(` (until ${s.certificate.notAfter})`) : ""
    }`,
  );
  say(
    `  TSDB: ${s.tsdb.bytes === null ? "-" : human(s.tsdb.bytes)} on disk; retention ${
      s.tsdb.retentionTime ?? "?"
    } or ${s.tsdb.retentionSize ?? "?"}${
      s.tsdb.bytes !== null && s.tsdb.retentionSize && sizeBytes(s.tsdb.retentionSize)
        ? ` (${((100 * s.tsdb.bytes) / sizeBytes(s.tsdb.retentionSize)!).toFixed(1)}% of the size limit)`
        : ""
    }`,
  );
  say(
    `  scrape: ${
      s.targets === null
        ? colour.red("Prometheus' API does not answer")
        : s.targets.map((t) =>
          `${t.job} ${t.health === "up" ? colour.green("up") : colour.red(t.health)}${
            t.lastScrapeAgeS === null ? "" : ` (${t.lastScrapeAgeS.toFixed(0)}s ago)`
          }`
        ).join(", ")
    }`,
  );
  say(
    `  alerts firing: ${
      s.alerts.length
        ? s.alerts.map((a) =>
          QUIET_SEVERITIES.includes(a.severity)
            ? `${a.name} (${a.severity})`
            : colour.red(`${a.name} (${a.severity})`)
        ).join(", ")
        : "none"
    }`,
  );
  say(
    `  last sample: ${
      s.lastSampleAgeS === null ? colour.red("none") : `${s.lastSampleAgeS.toFixed(0)}s ago`
    }`,
  );
  say(`  apache block: ${s.apacheBlock ? "present" : "absent"}`);
  if (s.drift.length === 0) say(`  drift: ${colour.green("no drift")}`);
  for (const d of s.drift) {
    for (const c of d.changes) say(`  ${colour.yellow("drift")} ${d.step}: ${c}`);
  }
  for (const p of s.problems) say(`  ${colour.red("✗")} ${p}`);
}

/** The run's exit code through the shared rule: unreachable → 4; drift, problems or errors → 2. */
export function statusExitCode(results: Pick<HostStatus, "status">[]): number {
  return fleetExitCode(results, statusOutcome);
}

/**
 * A host's status in the words every task's exit code is computed from: drift (what a deploy would
 * change) and problems (errors, unhealthy scrapes, serious alerts, …) count as failed.
 */
export function statusOutcome(s: Pick<HostStatus, "status">): HostOutcome {
  return s.status === "unreachable" ? "unreachable" : s.status === "ok" ? "ok" : "failed";
}

/** The status task: read-only, one `hostStatus` per host, no recap (each host prints as it ends). */
export const statusTask: FleetTask<HostStatus, void> = {
  name: "status",
  flags: {
    validate: (opts) => {
      if (opts.check || opts.diff) {
        throw new UsageError("status only reads: --check and --diff don't apply");
      }
    },
  },
  prepare: () => {},
  host: hostStatus,
  outcome: statusOutcome,
  printHost: print,
  finish: (results) => ({ rest: { hosts: results } }),
};

/** status: read-only view of every host (containers, Apache block, firewall and config drift). */
export function status(args: string[]): Promise<number> {
  return runFleet(statusTask, args);
}
