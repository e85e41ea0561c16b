/**
 * `deno task bench [--hosts N]… [--runs K] [--soak DURATION] [--first-host NAME] [--json]`
 *
 * Times what an operator waits for, on real lab hosts, by running the real CLI as a subprocess: cold
 * deploy (fresh hosts, no Docker), no-op re-run, a one-variable change, verify-metrics and status, for
 * each host count; then the footprint of the stack on one host after it has run DURATION. Prints medians
 * with min and max, the budgets (PASS/FAIL) and the machine. Exit 0: all budgets pass; 3: a budget fails;
 * 2: a measurement went wrong (a no-op that changed something, a failed deploy or verify); 1: bad usage.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import $ from "dax";
import { type LabImages, labUp } from "../lib/lab/mod.ts";
import { ensureLabImages } from "../lib/lab/app_images.ts";
import { inspectHost } from "../lib/lab/containers.ts";
import { ensureHostImage } from "../lib/lab/host_image.ts";
import { inventoryText } from "../lib/lab/inventory.ts";
import { hostName, LAB_DIR, labFiles, numberOf } from "../lib/lab/layout.ts";
// The lab tests' own runner and host helpers: the bench measures the CLI exactly as the tests run it.
import { cli as runCli, type CliRun } from "../tests/helpers/cli.ts";
import { onHost as onLabHost, resetHosts } from "../tests/helpers/lab.ts";
import { bytesOf, durationMs, mib, secs, summarize, type Summary, table } from "./stats.ts";
/** Two values of `retention_time` the one-variable change alternates between. */
const RETENTION = ["15d", "16d"] as const;
const BUDGET = { noop2: 2, noop6Factor: 1.5, verify2: 2, memoryMB: 250 };

class BenchFailure extends Error {}
class Usage extends Error {}

const log = (line: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- options

interface Options {
  hosts: number[];
  runs: number;
  soakMs: number;
  soakText: string;
  json: boolean;
  firstHost: string;
}

function options(args: string[]): Options {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      hosts: { type: "string", multiple: true },
      runs: { type: "string", default: "3" },
      soak: { type: "string", default: "10m" },
      json: { type: "boolean", default: false },
      "first-host": { type: "string", default: "isaqal09" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "deno task bench [--hosts N[,M]]… [--runs K] [--soak DURATION|0] [--first-host isaqalNN] [--json]",
    );
    Deno.exit(0);
  }
  const int = (s: string, what: string, max: number) => {
    if (!/^\d+$/.test(s.trim()) || Number(s) < 1 || Number(s) > max) {
      throw new Usage(`${what} must be a whole number from 1 to ${max}, not '${s}'`);
    }
    return Number(s);
  };
  const hosts = [
    ...new Set((values.hosts ?? ["2,6"]).flatMap((h) => h.split(",")).map((h) => int(h, "--hosts", 20))),
  ].sort((a, b) => a - b);
  const firstHost = values["first-host"]!;
  try {
    if (numberOf(firstHost) < 9) throw new Error();
  } catch {
    throw new Usage(`--first-host must name a lab host (isaqal09, isaqal10, …), not '${firstHost}'`);
  }
  let soakMs;
  try {
    soakMs = durationMs(values.soak!);
  } catch (e) {
    throw new Usage((e as Error).message);
  }
  if (soakMs > 6 * 3_600_000) throw new Usage("--soak is at most 6h");
  return {
    hosts,
    runs: int(values.runs!, "--runs", 50),
    soakMs,
    soakText: values.soak!,
    json: values.json!,
    firstHost,
  };
}

// ---------------------------------------------------------------- running the CLI

type Timed = CliRun;

/** Runs `deno run -A tasks/<file> args --json`, timing the whole process (start-up included). */
async function cli(file: string, args: string[], timeoutMs: number): Promise<Timed> {
  const r = await runCli(file, [...args, "--json"], {}, { timeoutMs });
  if (r.signal) {
    throw new BenchFailure(
      `${file} ${args.join(" ")}: killed by ${r.signal} (timeout ${timeoutMs / 1000} s)`,
    );
  }
  if (!r.json) {
    throw new BenchFailure(
      `${file} ${args.join(" ")}: exit ${r.code}, no JSON on stdout\n${r.stdout.slice(-2000)}${
        r.stderr.slice(-2000)
      }`,
    );
  }
  return r;
}

// deno-lint-ignore no-explicit-any
type HostReport = { host: string; status: string; error?: string; steps: any[] };

function changesOf(r: Timed): { host: string; step: string; summary: string }[] {
  return (r.json.hosts as HostReport[]).flatMap((h) =>
    h.steps.flatMap((s) =>
      s.changes.map((c: { summary: string }) => ({ host: h.host, step: s.step, summary: c.summary }))
    )
  );
}

function failedHosts(r: Timed): string {
  return (r.json.hosts as HostReport[]).filter((h) => !["ok", "changed"].includes(h.status))
    .map((h) =>
      `${h.host}: ${h.status}${h.error ? ` (${h.error})` : ""}; ` +
      h.steps.filter((s) => s.status === "failed").map((s) => `${s.step}: ${s.error}`).join("; ")
    )
    .join("\n");
}

// ---------------------------------------------------------------- the lab

/** The `n` lab host names from `first`. */
function benchHosts(first: string, n: number): string[] {
  const i0 = numberOf(first) - 8;
  return Array.from({ length: n }, (_, i) => hostName(i0 + i));
}

/** Whether every one of `names` has a running container and an entry in .lab/ssh_config. */
async function hostsUp(names: string[]): Promise<boolean> {
  const cfg = await Deno.readTextFile(labFiles.sshConfig).catch(() => "");
  for (const n of names) {
    if (!new RegExp(`^Host ${n}$`, "m").test(cfg) || !(await inspectHost(n))?.State.Running) return false;
  }
  return true;
}

let images: LabImages | undefined;
let hostImage: string | undefined;

/**
 * Makes sure the bench's hosts exist: `labUp` (which also waits on every other lab host) only when one of
 * them is missing. A concurrent `lab up` elsewhere can make it fail while it recreates its own host: retried.
 */
async function ensureHosts(names: string[]): Promise<void> {
  if (!images || !hostImage) {
    images = await ensureLabImages(() => {});
    hostImage = await ensureHostImage(log);
  }
  for (let attempt = 1; !(await hostsUp(names)); attempt++) {
    try {
      await labUp(numberOf(names[names.length - 1]) - 8, () => {});
    } catch (e) {
      if (attempt >= 3) throw new BenchFailure(`lab up failed 3 times: ${(e as Error).message}`);
      log(`lab up failed (${(e as Error).message.split("\n")[0]}); again in 10 s`);
      await sleep(10_000);
    }
  }
}

/** Writes .lab/bench-inventory.yml: the lab inventory restricted to `names`, with `retention_time`. */
async function writeInventory(names: string[], retention: string): Promise<string> {
  await ensureHosts(names);
  const file = join(LAB_DIR, "bench-inventory.yml");
  const text = inventoryText(names, images!)
    .replace(
      "# Generated by `deno task lab up`; do not edit.",
      "# Written by `deno task bench` for its hosts.",
    )
    .replace(/^vars:\n/m, `vars:\n  retention_time: ${retention}   # the bench's one-variable change\n`);
  await Deno.writeTextFile(file, text);
  return file;
}

async function onHost(name: string, script: string, timeoutMs = 60_000): Promise<string> {
  const r = await onLabHost(labFiles, name, script, timeoutMs);
  if (r.code !== 0) throw new BenchFailure(`${name}: '${script}' → exit ${r.code}: ${r.out}`);
  return r.stdout;
}

// ---------------------------------------------------------------- measurements

interface StepTimes {
  /** Wall time of the process minus the time the tool reports: Deno start-up, module and inventory load. */
  startup: number[];
  /** Per step, the slowest host's seconds. */
  steps: Record<string, number[]>;
  /** Time before the first step: SSH connect, host lock, facts probe (slowest host). */
  before: number[];
}

interface NResult {
  n: number;
  hosts: string[];
  measures: Record<Measure, Summary>;
  noopSteps: { startup: Summary; before: Summary; steps: Record<string, Summary> };
}

type Measure = "cold" | "noop" | "change" | "verify" | "status";
const LABELS: Record<Measure, string> = {
  cold: "cold deploy",
  noop: "no-op re-run",
  change: "one-variable change",
  verify: "verify-metrics",
  status: "status",
};

function recordSteps(t: StepTimes, r: Timed) {
  t.startup.push(Math.max(0, r.seconds - r.json.seconds));
  const hosts = r.json.hosts as HostReport[];
  const perHostSteps = hosts.map((h) => h.steps.reduce((a, s) => a + s.seconds, 0));
  t.before.push(
    Math.max(...hosts.map((h, i) => (h as unknown as { seconds: number }).seconds - perHostSteps[i])),
  );
  for (const s of hosts[0].steps) {
    const worst = Math.max(...hosts.map((h) => h.steps.find((x) => x.step === s.step)?.seconds ?? 0));
    (t.steps[s.step] ??= []).push(worst);
  }
}

async function benchN(n: number, o: Options): Promise<NResult> {
  const hosts = benchHosts(o.firstHost, n);
  const limit = ["--limit", hosts.join(",")];
  log(`N=${n}: hosts ${hosts.join(", ")}`);
  let inv = await writeInventory(hosts, RETENTION[0]);
  const base = () => ["--inventory", inv, ...limit];
  const times: Record<Measure, number[]> = { cold: [], noop: [], change: [], verify: [], status: [] };
  const steps: StepTimes = { startup: [], steps: {}, before: [] };

  for (let k = 1; k <= o.runs; k++) {
    log(`N=${n} run ${k}/${o.runs}: resetting ${hosts.join(", ")} (new containers, no Docker)`);
    await ensureHosts(hosts);
    await resetHosts(hosts, log);
    inv = await writeInventory(hosts, RETENTION[0]);
    const cold = await cli("deploy.ts", base(), 20 * 60_000);
    if (cold.code !== 0) {
      throw new BenchFailure(`cold deploy failed (exit ${cold.code}):\n${failedHosts(cold)}`);
    }
    times.cold.push(cold.seconds);
    log(`N=${n} run ${k}: cold deploy ${secs(cold.seconds)} s`);
    const noop = await cli("deploy.ts", base(), 5 * 60_000);
    const changed = changesOf(noop);
    if (noop.code !== 0 || changed.length) {
      throw new BenchFailure(
        `no-op re-run was not a no-op (exit ${noop.code}):\n${
          changed.map((c) => `  ${c.host} ${c.step}: ${c.summary}`).join("\n")
        }${failedHosts(noop)}`,
      );
    }
    times.noop.push(noop.seconds);
    recordSteps(steps, noop);
    log(`N=${n} run ${k}: no-op ${secs(noop.seconds)} s`);
  }

  log(`N=${n}: verify-metrics --wait 60s (first scrapes; not timed)`);
  const warm = await cli("verify_metrics.ts", [...base(), "--wait", "60s"], 3 * 60_000);
  if (warm.code !== 0) {
    throw new BenchFailure(`verify-metrics --wait 60s failed: ${JSON.stringify(warm.json)}`);
  }
  for (let k = 1; k <= o.runs; k++) {
    const v = await cli("verify_metrics.ts", base(), 3 * 60_000);
    if (v.code !== 0) {
      throw new BenchFailure(`verify-metrics failed (exit ${v.code}): ${JSON.stringify(v.json)}`);
    }
    times.verify.push(v.seconds);
    const s = await cli("status.ts", base(), 3 * 60_000);
    if (s.code !== 0) throw new BenchFailure(`status failed (exit ${s.code}): ${JSON.stringify(s.json)}`);
    const drift = (s.json.hosts as { host: string; drift?: { step: string }[] }[]).flatMap((h) =>
      (h.drift ?? []).map((d) => `${h.host} ${d.step}`)
    );
    if (drift.length) {
      throw new BenchFailure(`status shows drift right after a deploy: ${JSON.stringify(s.json)}`);
    }
    times.status.push(s.seconds);
    log(`N=${n} run ${k}: verify-metrics ${secs(v.seconds)} s, status ${secs(s.seconds)} s`);
  }

  for (let k = 1; k <= o.runs; k++) {
    const value = RETENTION[k % 2];
    inv = await writeInventory(hosts, value);
    const c = await cli("deploy.ts", base(), 5 * 60_000);
    if (c.code !== 0) {
      throw new BenchFailure(`one-variable change failed (exit ${c.code}):\n${failedHosts(c)}`);
    }
    for (const h of hosts) {
      const mine = changesOf(c).filter((x) => x.host === h);
      if (
        mine.length !== 1 || mine[0].step !== "prometheus" || !/container prometheus\b/.test(mine[0].summary)
      ) {
        throw new BenchFailure(
          `retention_time → ${value} on ${h} should change only the prometheus container; it did:\n${
            mine.map((x) => `  ${x.step}: ${x.summary}`).join("\n") || "  nothing"
          }`,
        );
      }
    }
    times.change.push(c.seconds);
    log(`N=${n} run ${k}: retention_time → ${value}: ${secs(c.seconds)} s`);
  }

  const measures = Object.fromEntries(
    (Object.keys(times) as Measure[]).map((m) => [m, summarize(times[m])]),
  ) as Record<Measure, Summary>;
  return {
    n,
    hosts,
    measures,
    noopSteps: {
      startup: summarize(steps.startup),
      before: summarize(steps.before),
      steps: Object.fromEntries(Object.entries(steps.steps).map(([k, v]) => [k, summarize(v)])),
    },
  };
}

// ---------------------------------------------------------------- footprint

interface Footprint {
  host: string;
  soakSeconds: number;
  prometheusUptime: string;
  containers: { name: string; rssBytes: number; statsBytes: number; limit: string }[];
  rssTotalBytes: number;
  statsTotalBytes: number;
  prometheusData: { bytes: number; human: string };
}

async function footprint(host: string, o: Options): Promise<Footprint> {
  const t0 = Date.now();
  log(`footprint: the stack runs on ${host} for ${o.soakText}; a line every 30 s`);
  while (Date.now() - t0 < o.soakMs) {
    await sleep(Math.min(30_000, o.soakMs - (Date.now() - t0)));
    const left = Math.max(0, Math.round((o.soakMs - (Date.now() - t0)) / 1000));
    const ps = await onHost(host, "docker ps --format '{{.Names}} {{.Status}}'").catch((e) =>
      `(${e.message})`
    );
    log(
      `  soaking ${Math.round((Date.now() - t0) / 1000)} s, ${left} s left: ${
        ps.trim().split("\n").join("; ")
      }`,
    );
  }
  const stats = await onHost(host, "docker stats --no-stream --format '{{.Name}}\t{{.MemUsage}}'");
  const containers = [];
  for (const line of stats.trim().split("\n").filter(Boolean)) {
    const [name, usage] = line.split("\t");
    const [used, limit] = usage.split("/").map((s) => s.trim());
    // Resident set of every process of the container, as ps counts it (KiB).
    const top = await onHost(host, `docker top ${name} -eo pid,rss`);
    const rssKiB = top.trim().split("\n").slice(1).reduce(
      (a, l) => a + Number(l.trim().split(/\s+/)[1] ?? 0),
      0,
    );
    containers.push({ name, rssBytes: rssKiB * 1024, statsBytes: bytesOf(used), limit });
  }
  const uptime = (await onHost(host, "docker inspect -f '{{.State.StartedAt}}' prometheus")).trim();
  const du = await onHost(host, "du -sk /srv/isa/prometheus/data; du -sh /srv/isa/prometheus/data");
  const [kb, human] = du.trim().split("\n").map((l) => l.split(/\s+/)[0]);
  return {
    host,
    soakSeconds: (Date.now() - t0) / 1000,
    prometheusUptime: `${Math.round((Date.now() - Date.parse(uptime)) / 1000)} s (started ${uptime})`,
    containers,
    rssTotalBytes: containers.reduce((a, c) => a + c.rssBytes, 0),
    statsTotalBytes: containers.reduce((a, c) => a + c.statsBytes, 0),
    prometheusData: { bytes: Number(kb) * 1024, human },
  };
}

// ---------------------------------------------------------------- machine, budgets, report

async function machine() {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  const dockerV = await $`docker version --format '{{.Server.Version}}'`.quiet().noThrow().timeout(15_000);
  return {
    nproc: navigator.hardwareConcurrency,
    memory: `${(memKiB / 1024 ** 2).toFixed(1)} GiB`,
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    kernel: Deno.osRelease(),
    docker: dockerV.stdout.trim() || "unknown",
    deno: Deno.version.deno,
    date: new Date().toISOString(),
  };
}

interface Budget {
  name: string;
  pass: boolean | null;
  figure: string;
  limit: string;
}

function budgets(results: NResult[], fp: Footprint | null): Budget[] {
  const by = (n: number) => results.find((r) => r.n === n);
  const r2 = by(2), r6 = by(6);
  const out: Budget[] = [];
  const na = (name: string, why: string) => out.push({ name, pass: null, figure: "n/a", limit: why });
  if (r2) {
    const m = r2.measures.noop.median;
    out.push({
      name: "no-op re-run, 2 hosts",
      pass: m < BUDGET.noop2,
      figure: `${secs(m)} s`,
      limit: `< 2 s`,
    });
  } else na("no-op re-run, 2 hosts", "needs --hosts 2");
  if (r2 && r6) {
    const m = r6.measures.noop.median, lim = BUDGET.noop6Factor * r2.measures.noop.median;
    out.push({
      name: "no-op re-run, 6 hosts",
      pass: m < lim,
      figure: `${secs(m)} s`,
      limit: `< ${secs(lim)} s (1.5 × 2-host ${secs(r2.measures.noop.median)} s)`,
    });
  } else na("no-op re-run, 6 hosts", "needs --hosts 2,6");
  if (r2) {
    const m = r2.measures.verify.median;
    out.push({
      name: "verify-metrics, 2 hosts",
      pass: m < BUDGET.verify2,
      figure: `${secs(m)} s`,
      limit: "< 2 s",
    });
  } else na("verify-metrics, 2 hosts", "needs --hosts 2");
  if (fp) {
    const mb = fp.rssTotalBytes / 1e6;
    out.push({
      name: `containers resident together (${fp.containers.map((c) => c.name).join(" + ")})`,
      pass: mb < BUDGET.memoryMB,
      figure: `${mb.toFixed(1)} MB`,
      limit: `< ${BUDGET.memoryMB} MB`,
    });
  } else na("containers resident together", "needs --soak > 0");
  return out;
}

function report(
  o: Options,
  m: Awaited<ReturnType<typeof machine>>,
  results: NResult[],
  fp: Footprint | null,
) {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(
      "",
      `N=${r.n} hosts (${r.hosts.join(", ")}), ${o.runs} run(s) each, wall seconds of the CLI process`,
    );
    lines.push(table([
      ["", "median", "min", "max"],
      ...(Object.keys(LABELS) as Measure[]).map((k) => [
        LABELS[k],
        secs(r.measures[k].median),
        secs(r.measures[k].min),
        secs(r.measures[k].max),
      ]),
    ]));
    const s = r.noopSteps;
    const parts = [
      `process start-up ${secs(s.startup.median)}`,
      `connect+lock+facts ${secs(s.before.median)}`,
      ...Object.entries(s.steps).filter(([k]) => k !== "facts").map(([k, v]) => `${k} ${secs(v.median)}`),
    ];
    lines.push(`  no-op breakdown (medians, slowest host, s): ${parts.join(", ")}`);
  }
  if (fp) {
    lines.push(
      "",
      `Footprint on ${fp.host} after ${Math.round(fp.soakSeconds)} s (prometheus up ${fp.prometheusUptime})`,
    );
    lines.push(table([
      ["container", "resident (ps RSS)", "docker stats", "limit"],
      ...fp.containers.map((c) => [c.name, mib(c.rssBytes), mib(c.statsBytes), c.limit]),
      ["together", mib(fp.rssTotalBytes), mib(fp.statsTotalBytes), ""],
    ]));
    lines.push(
      `Prometheus data (/srv/isa/prometheus/data): ${fp.prometheusData.human} (${fp.prometheusData.bytes} bytes)`,
    );
  }
  const b = budgets(results, fp);
  lines.push("", "Budgets");
  for (const x of b) {
    lines.push(`  ${x.pass === null ? "SKIP" : x.pass ? "PASS" : "FAIL"}  ${x.name}: ${x.figure} ${x.limit}`);
  }
  lines.push(
    "",
    `Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memory} RAM, kernel ${m.kernel}, Docker ${m.docker}, Deno ${m.deno}, ${m.date}`,
  );
  return { text: lines.join("\n"), budgets: b };
}

// ---------------------------------------------------------------- main

async function main(args: string[]): Promise<number> {
  let o: Options;
  try {
    o = options(args);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  }
  const m = await machine();
  const results: NResult[] = [];
  let fp: Footprint | null = null;
  let failure: string | null = null;
  try {
    for (const n of o.hosts) results.push(await benchN(n, o));
    if (o.soakMs > 0) fp = await footprint(o.firstHost, o);
  } catch (e) {
    if (!(e instanceof BenchFailure)) throw e;
    failure = e.message;
  }
  const r = report(o, m, results, fp);
  if (o.json) {
    console.log(
      JSON.stringify(
        { machine: m, options: o, results, footprint: fp, budgets: r.budgets, failure },
        null,
        2,
      ),
    );
  } else {
    console.log(r.text);
  }
  if (failure) {
    console.error(`\nBENCH FAILED: ${failure}`);
    return 2;
  }
  return r.budgets.some((b) => b.pass === false) ? 3 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
