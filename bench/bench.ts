/**
 * `deno task bench [--hosts N]… [--runs K] [--ansible] [--delivery push|pull] [--soak DURATION]
 * [--first-host NAME] [--light N [--forks F]… [--keep]] [--json]`
 *
 * Times what an operator waits for, on real lab hosts, by running the real CLI as a subprocess: cold
 * deploy (fresh hosts, no Docker) with its per-step breakdown, no-op re-run, a one-variable change,
 * verify-metrics and status, for each host count; with --ansible, the same hosts' cold and no-op runs of
 * the Ansible playbook bench/ansible/site.yml beside ours; then the footprint of the stack on one host after it has run DURATION; with --light,
 * `deploy --check` and `facts` across N light hosts (sshd and Apache only) with the controller's peak
 * memory. Prints medians with min and max, the budgets (PASS/FAIL) and the machine. Exit 0: all budgets
 * pass; 3: a budget fails; 2: a measurement went wrong (a no-op that changed something, a failed deploy or
 * verify); 1: bad usage.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import $ from "dax";
import { type LabImages, labImages, labUp, lightDown, lightUp } from "../lib/lab/mod.ts";
import { layeredVariant } from "../lib/lab/app_images.ts";
import { localDocker } from "../lib/containers/image_delivery.ts";
import type { ImageTransfer } from "../lib/engine/report.ts";
import { existingLightHosts, inspectHost } from "../lib/lab/containers.ts";
import { ensureControllerTools } from "../lib/lab/controller_tools.ts";
import { ensureHostImage } from "../lib/lab/host_image.ts";
import { inventoryText } from "../lib/lab/inventory.ts";
import {
  containerName,
  hostFlavour,
  hostName,
  LAB_DIR,
  labFiles,
  LIGHT,
  numberOf,
} from "../lib/lab/layout.ts";
import { ensureSecrets, LAB_USER } from "../lib/lab/secrets.ts";
// The lab tests' own runner and host helpers: the bench measures the CLI exactly as the tests run it.
import { cli as runCli, type CliRun } from "../tests/helpers/cli.ts";
import { onHost as onLabHost, resetHosts } from "../tests/helpers/lab.ts";
import { busyCpuSeconds, bytesOf, durationMs, mib, secs, summarize, type Summary, table } from "./stats.ts";
import {
  type Budget,
  budgetExitCode,
  type BudgetFigures,
  budgetLines,
  evaluateBudgets,
  GNU_TIME_FORMAT,
  parseGnuTime,
} from "./budgets.ts";
import {
  labAnsibleHosts,
  labAnsibleVars,
  recapProblem,
  runAnsible,
  syntaxCheck,
  writeAnsibleFiles,
} from "./ansible.ts";
import {
  breakdownLines,
  type BreakdownRow,
  coldBreakdown,
  type ReportedHost,
  type SideBySideRow,
  sideBySideRow,
  sideBySideTable,
} from "./breakdown.ts";
/** Two values of `retention_time` the one-variable change alternates between. */
const RETENTION = ["15d", "16d"] as const;
/** Size of the one new layer of each Prometheus tag the image-tag change deploys (random, so incompressible). */
const TAG_LAYER_BYTES = 2 * 1024 * 1024;
/** GNU time (Debian's `time` package): its `%M` is the peak resident set of the process it runs. */
const GNU_TIME = "/usr/bin/time";

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
  /** Number of light hosts to measure `deploy --check` and `facts` on (0: none). */
  light: number;
  /** `--forks` values the light measurements pass (empty: the tool's default, no flag). */
  forks: number[];
  /** Leave the light hosts up afterwards. */
  keep: boolean;
  /** Also time the Ansible playbook's cold and no-op runs on the same hosts (issue 25's side-by-side). */
  ansible: boolean;
  /** The bench inventory's `image_delivery` (push: the issue's conditions, and the only one Ansible does). */
  delivery: "push" | "pull";
}

function options(args: string[]): Options {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      hosts: { type: "string", multiple: true },
      runs: { type: "string", default: "3" },
      soak: { type: "string" },
      json: { type: "boolean", default: false },
      "first-host": { type: "string", default: "isaqal09" },
      light: { type: "string" },
      forks: { type: "string", multiple: true },
      keep: { type: "boolean", default: false },
      ansible: { type: "boolean", default: false },
      delivery: { type: "string", default: "push" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "deno task bench [--hosts N[,M]]… [--runs K] [--ansible] [--delivery push|pull] [--soak DURATION|0]\n" +
        "                [--first-host isaqalNN]\n" +
        "                [--light N [--forks F[,G]]… [--keep]] [--json]\n" +
        "(--light alone measures only the light hosts: add --hosts and --soak for the rest)",
    );
    Deno.exit(0);
  }
  const int = (s: string, what: string, max: number) => {
    if (!/^\d+$/.test(s.trim()) || Number(s) < 1 || Number(s) > max) {
      throw new Usage(`${what} must be a whole number from 1 to ${max}, not '${s}'`);
    }
    return Number(s);
  };
  const light = values.light === undefined ? 0 : int(values.light, "--light", LIGHT.max);
  const forks = [
    ...new Set((values.forks ?? []).flatMap((f) => f.split(",")).map((f) => int(f, "--forks", 100))),
  ];
  if (!light && (forks.length || values.keep)) throw new Usage("--forks and --keep go with --light N");
  // --light alone measures the light hosts only; the lab figures are asked for with --hosts.
  const lightOnly = light > 0 && values.hosts === undefined;
  const hosts = [
    ...new Set(
      (values.hosts ?? (lightOnly ? [] : ["2,6"])).flatMap((h) => h.split(",")).map((h) =>
        int(h, "--hosts", 20)
      ),
    ),
  ].sort((a, b) => a - b);
  const soakText = values.soak ?? (lightOnly ? "0" : "10m");
  const firstHost = values["first-host"]!;
  try {
    if (numberOf(firstHost) < 9) throw new Error();
  } catch {
    throw new Usage(`--first-host must name a lab host (isaqal09, isaqal10, …), not '${firstHost}'`);
  }
  let soakMs;
  try {
    soakMs = durationMs(soakText);
  } catch (e) {
    throw new Usage((e as Error).message);
  }
  if (soakMs > 6 * 3_600_000) throw new Usage("--soak is at most 6h");
  const delivery = values.delivery!;
  if (delivery !== "push" && delivery !== "pull") {
    throw new Usage(`--delivery is push or pull, not '${delivery}'`);
  }
  if (values.ansible) {
    if (!hosts.length) throw new Usage("--ansible needs lab hosts (--hosts N)");
    if (delivery !== "push") throw new Usage("--ansible compares image_delivery: push (the playbook's)");
    // The playbook is Debian's (apt, apache2ctl, conf-available): the RHEL-shaped host is not for it.
    const other = benchHosts(firstHost, hosts[hosts.length - 1]).find((h) => hostFlavour(h) !== "debian");
    if (other) {
      throw new Usage(
        `--ansible runs a Debian playbook; ${other} is ${hostFlavour(other)}-shaped: ` +
          "choose --first-host isaqal12 (its hosts are all Debian 12)",
      );
    }
  }
  return {
    hosts,
    runs: int(values.runs!, "--runs", 50),
    soakMs,
    soakText,
    json: values.json!,
    firstHost,
    light,
    forks,
    keep: values.keep!,
    ansible: values.ansible!,
    delivery,
  };
}

// ---------------------------------------------------------------- running the CLI

type Timed = CliRun;

/**
 * Runs `tasks/<file> args --json` under the permissions its task declares in deno.json (as `deno task`
 * runs it, not -A), timing the whole process (start-up included).
 */
async function cli(file: string, args: string[], timeoutMs: number): Promise<Timed> {
  const r = await runCli(file, [...args, "--json"], {}, { timeoutMs, declared: true });
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
type HostReport = { host: string; status: string; error?: string; steps: any[]; transfers?: ImageTransfer[] };

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
    images = await labImages(() => {});
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

/**
 * Writes .lab/bench-inventory.yml: the lab inventory restricted to `names`, with `retention_time`, and
 * each Prometheus image named in it replaced by its entry in `prometheus` when given.
 */
async function writeInventory(
  names: string[],
  retention: string,
  delivery: Options["delivery"],
  prometheus?: ReadonlyMap<string, string>,
): Promise<string> {
  await ensureHosts(names);
  const file = join(LAB_DIR, "bench-inventory.yml");
  const text = inventoryText(names, images!)
    // push: the controller's engine carries the lab images under the production names (lib/lab/mod.ts).
    .replace(/^ {2}image_delivery: pull$/m, `  image_delivery: ${delivery}   # the bench's --delivery`)
    .replace(
      "# Generated by `deno task lab up`; do not edit.",
      "# Written by `deno task bench` for its hosts.",
    )
    .replace(/^vars:\n/m, `vars:\n  retention_time: ${retention}   # the bench's one-variable change\n`)
    // The group's line and a host's own (the oldest line's host) alike.
    .replace(/^( +prometheus: )(\S+)(.*)$/gm, (line, key: string, ref: string) => {
      const variant = prometheus?.get(ref);
      return variant ? `${key}${variant}   # the bench's image-tag change` : line;
    });
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
  /** The cold deploy per step (median host of each run, over the runs), from the deploy's JSON report. */
  coldSteps: BreakdownRow[];
  /** CPU seconds the whole machine (controller and lab hosts alike, everyone's) was busy per cold deploy. */
  coldMachineCpu: Summary;
  /** The Ansible playbook's cold and no-op runs on the same hosts (`--ansible`), else null. */
  ansible: { cold: Summary; noop: Summary } | null;
  /** The re-deploy onto a new Prometheus tag (`push` only), else null. */
  tagChange: TagChange | null;
}

/** The re-deploy after the Prometheus image's tag changed to one whose image adds one layer. */
interface TagChange {
  /** Wall seconds of each run's deploy. */
  seconds: Summary;
  /** Size of the new layer's file. */
  layerBytes: number;
  /** Per host and run: what the push of the new image sent (the deploy's JSON report). */
  sent: Pick<ImageTransfer, "bytes" | "fullBytes" | "layersSent" | "layersSkipped" | "compressed">[];
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
  let inv = await writeInventory(hosts, RETENTION[0], o.delivery);
  const base = () => ["--inventory", inv, ...limit];
  const times: Record<Measure, number[]> = { cold: [], noop: [], change: [], verify: [], status: [] };
  const steps: StepTimes = { startup: [], steps: {}, before: [] };
  const coldReports: ReportedHost[][] = [];
  const coldBusy: number[] = [];
  // Ansible first: our runs below reset the hosts again, and the verify, status and change measures after
  // them must find our deploy's state, not the playbook's.
  const ansible = o.ansible ? await benchAnsible(hosts, o) : null;

  for (let k = 1; k <= o.runs; k++) {
    log(`N=${n} run ${k}/${o.runs}: resetting ${hosts.join(", ")} (new containers, no Docker)`);
    await ensureHosts(hosts);
    await resetHosts(hosts, log);
    inv = await writeInventory(hosts, RETENTION[0], o.delivery);
    const busy0 = await machineBusy();
    const cold = await cli("deploy.ts", base(), 20 * 60_000);
    coldBusy.push((await machineBusy()) - busy0);
    if (cold.code !== 0) {
      throw new BenchFailure(`cold deploy failed (exit ${cold.code}):\n${failedHosts(cold)}`);
    }
    times.cold.push(cold.seconds);
    coldReports.push(cold.json.hosts as ReportedHost[]);
    log(
      `N=${n} run ${k}: cold deploy ${secs(cold.seconds)} s (the machine busy ${
        secs(coldBusy.at(-1)!)
      } CPU-s ` +
        `of ${secs(cold.seconds * navigator.hardwareConcurrency)} on ${navigator.hardwareConcurrency} CPUs)`,
    );
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
    inv = await writeInventory(hosts, value, o.delivery);
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

  const tagChange = o.delivery === "push" ? await benchTagChange(hosts, o) : null;
  if (!tagChange) {
    log(`N=${n}: image-tag change not measured (it measures what a push sends; --delivery pull)`);
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
    coldSteps: coldBreakdown(coldReports),
    coldMachineCpu: summarize(coldBusy),
    ansible,
    tagChange,
  };
}

/**
 * `o.runs` times: a new Prometheus tag whose image is the one the host runs plus one layer of
 * TAG_LAYER_BYTES (lib/lab/app_images.ts `layeredVariant`, new tags each run: one per Prometheus line the
 * bench inventory names, the oldest line's host included), deployed with `push`. Each host must push its
 * new tag and replace only its prometheus container, and receive that one layer, the others left out
 * because it has them; the bytes sent come from the deploy's report (what `deploy -v` prints). Then the
 * hosts run the lab's own images again, and the tags made here are removed.
 */
async function benchTagChange(hosts: string[], o: Options): Promise<TagChange> {
  const limit = ["--limit", hosts.join(",")];
  const seconds: number[] = [];
  const sent: TagChange["sent"] = [];
  const made: string[] = [];
  const lines = [...new Set([images!.prometheus, images!.prometheus_oldest])];
  try {
    for (let k = 1; k <= o.runs; k++) {
      const variants = new Map<string, string>();
      for (const base of lines) {
        variants.set(base, await layeredVariant(base, `bench${Date.now()}`, TAG_LAYER_BYTES));
      }
      made.push(...variants.values());
      const inv = await writeInventory(hosts, RETENTION[o.runs % 2], o.delivery, variants);
      const c = await cli("deploy.ts", ["--inventory", inv, ...limit], 5 * 60_000);
      if (c.code !== 0) {
        throw new BenchFailure(`image-tag change failed (exit ${c.code}):\n${failedHosts(c)}`);
      }
      for (const h of c.json.hosts as HostReport[]) {
        // Its new tag pushed, then the container recreated on it: nothing else.
        const t = h.transfers?.find((x) => made.includes(x.image));
        const mine = changesOf(c).filter((x) => x.host === h.host);
        const pushed = mine.filter((x) =>
          t && x.step === "prometheus" && x.summary.startsWith(`push image ${t.image} `)
        );
        const rest = mine.filter((x) => !pushed.includes(x));
        if (
          !t || pushed.length !== 1 || rest.length !== 1 || rest[0].step !== "prometheus" ||
          !/container prometheus\b/.test(rest[0].summary)
        ) {
          throw new BenchFailure(
            `a new Prometheus tag on ${h.host} should be pushed and the prometheus container recreated, ` +
              `nothing else; it did:\n${
                mine.map((x) => `  ${x.step}: ${x.summary}`).join("\n") || "  nothing"
              }`,
          );
        }
        if (t.layersSent !== 1 || t.layersSkipped < 1) {
          throw new BenchFailure(
            `${h.host}: the push of ${t.image} should send its one new layer and leave out the rest; ` +
              `it reported ${JSON.stringify(t)}`,
          );
        }
        sent.push(t);
      }
      seconds.push(c.seconds);
      const bytes = sent.slice(-hosts.length).map((t) => t.bytes);
      log(
        `N=${hosts.length} run ${k}: a new Prometheus tag: ${secs(c.seconds)} s, ` +
          `${mib(Math.max(...bytes))} sent per host at most (full archive ${mib(sent.at(-1)!.fullBytes)})`,
      );
    }
  } finally {
    // The hosts run the lab's own images again (a small push: they hold every layer but the new one).
    const inv = await writeInventory(hosts, RETENTION[o.runs % 2], o.delivery);
    const back = await cli("deploy.ts", ["--inventory", inv, ...limit], 5 * 60_000).catch((e) => e);
    if (back instanceof Error || back.code !== 0) {
      log(
        `the hosts could not go back to the lab's images: ${
          back instanceof Error ? back.message : back.code
        }`,
      );
    }
    const controller = await localDocker();
    for (const ref of made) await controller.getImage(ref).remove().catch(() => {});
  }
  return { seconds: summarize(seconds), layerBytes: TAG_LAYER_BYTES, sent };
}

// ---------------------------------------------------------------- the side-by-side with Ansible

/**
 * Writes the playbook's inventory and variables for `hosts` (the bench inventory's values: deployment qual,
 * frontend native with the dashboard, scrape_interval 5s, the first retention) and checks its syntax.
 */
async function prepareAnsible(hosts: string[]): Promise<void> {
  await ensureHosts(hosts);
  const vars = await labAnsibleVars(RETENTION[0], LAB_USER, await ensureSecrets());
  await writeAnsibleFiles(labAnsibleHosts(hosts, images!), vars);
  const bad = await syntaxCheck();
  if (bad) throw new BenchFailure(`ansible-playbook --syntax-check bench/ansible/site.yml failed:\n${bad}`);
}

/** K times: reset the hosts, a timed cold run of the playbook, then a timed re-run that must change nothing. */
async function benchAnsible(hosts: string[], o: Options): Promise<{ cold: Summary; noop: Summary }> {
  await prepareAnsible(hosts);
  const cold: number[] = [];
  const noop: number[] = [];
  for (let k = 1; k <= o.runs; k++) {
    log(
      `N=${hosts.length} Ansible run ${k}/${o.runs}: resetting ${
        hosts.join(", ")
      } (new containers, no Docker)`,
    );
    await ensureHosts(hosts);
    await resetHosts(hosts, log);
    const c = await runAnsible(30 * 60_000, true);
    const bad = recapProblem(c.recap, hosts, false) ?? (c.code ? `exit ${c.code}` : null);
    if (bad) throw new BenchFailure(`Ansible's cold run failed (${bad}); its output ends:\n${c.tail}`);
    cold.push(c.seconds);
    log(`N=${hosts.length} Ansible run ${k}: cold ${secs(c.seconds)} s`);
    const n = await runAnsible(10 * 60_000, false);
    const notNoop = recapProblem(n.recap, hosts, true) ?? (n.code ? `exit ${n.code}` : null);
    if (notNoop) throw new BenchFailure(`Ansible's re-run: ${notNoop}; its output ends:\n${n.tail}`);
    noop.push(n.seconds);
    log(`N=${hosts.length} Ansible run ${k}: no-op ${secs(n.seconds)} s`);
  }
  return { cold: summarize(cold), noop: summarize(noop) };
}

// ---------------------------------------------------------------- light hosts at fleet size

/** A CLI run under GNU time: the deno process's resident high-water mark and CPU seconds (user + system). */
type Measured = Timed & { peakRssBytes: number; cpuSeconds: number };

/**
 * Runs the CLI like `cli` but under `/usr/bin/time -f "%M %U %S" -o FILE`. %M is the ru_maxrss wait4() gives
 * GNU time for its child, deno: the largest resident set deno itself reached. Linux fills that rusage
 * with getrusage(p, RUSAGE_BOTH) (kernel/exit.c, wait_task_zombie), whose ru_maxrss is the larger of the
 * process's own high-water mark and its reaped children's largest (kernel/sys.c, getrusage): the ssh
 * processes, far smaller, can't raise it, and nothing is summed.
 */
async function measuredCli(file: string, args: string[], timeoutMs: number): Promise<Measured> {
  const out = await Deno.makeTempFile({ prefix: "isa-bench-time-" });
  try {
    const r = await runCli(file, [...args, "--json"], {}, {
      timeoutMs,
      declared: true,
      prefix: [GNU_TIME, "-f", GNU_TIME_FORMAT, "-o", out],
    });
    if (r.signal) throw new BenchFailure(`${file} ${args.join(" ")}: killed by ${r.signal}`);
    if (!r.json) {
      throw new BenchFailure(
        `${file} ${args.join(" ")}: exit ${r.code}, no JSON on stdout\n${r.stdout.slice(-2000)}${
          r.stderr.slice(-2000)
        }`,
      );
    }
    return { ...r, ...parseGnuTime(await Deno.readTextFile(out)) };
  } finally {
    await Deno.remove(out).catch(() => {});
  }
}

/** The figures of one `--forks` value on the light hosts. */
interface LightRun {
  /** The `--forks` passed, or null for the tool's default. */
  forks: number | null;
  check: Summary;
  /** Peak RSS of the controller per `deploy --check` run, bytes. */
  checkRss: Summary;
  facts: Summary;
  factsRss: Summary;
  /** CPU seconds (user + system) of the controller's deno process per `deploy --check`. */
  checkCpu: Summary;
  /** CPU seconds the light hosts' containers used during each `deploy --check` (null: cgroups unreadable). */
  checkHostsCpu: Summary | null;
  /** CPU seconds the whole machine was busy during each `deploy --check` (everything: other users too). */
  checkMachineCpu: Summary;
  /** Hosts whose `deploy --check` ended in a failed step, with the first error (empty: a full plan everywhere). */
  checkFailures: string[];
  /** Changes the check planned on the first host, by step (from the first run). */
  planned: Record<string, number>;
}

interface LightResult {
  n: number;
  hosts: string[];
  upSeconds: number;
  /** Resident memory of one light host (sum of ps RSS over its processes), median over the hosts, bytes. */
  hostRssBytes: number;
  runs: LightRun[];
  /** What SSH logins alone cost these hosts: the floor under any SSH tool's per-host figures (null: failed). */
  sshFloor: SshFloor | null;
  /** Light containers left after `lab down --light` (should be none), or null with --keep. */
  leftAfterDown: string[] | null;
}

/**
 * CPU seconds used so far by these containers: cpuacct.usage (ns) of each one's cgroup v1 (Docker's
 * cgroupfs driver: /sys/fs/cgroup/cpuacct/docker/<id>/) or cpu.stat's usage_usec under cgroup v2 (systemd
 * driver: /sys/fs/cgroup/system.slice/docker-<id>.scope/); null when a container's is not found.
 */
async function containersCpuSeconds(ids: string[]): Promise<number | null> {
  let total = 0;
  for (const id of ids) {
    const v1 = await Deno.readTextFile(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`).catch(() => null);
    if (v1 !== null) {
      total += Number(v1.trim()) / 1e9;
      continue;
    }
    const v2 = await Deno.readTextFile(`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`).catch(() =>
      null
    );
    const usec = v2 && /^usage_usec (\d+)$/m.exec(v2)?.[1];
    if (!usec) return null;
    total += Number(usec) / 1e6;
  }
  return total;
}

/** `ssh HOST true` on every light host, new connections (no master), 20 at once as `deploy` does by default. */
interface SshFloor {
  /** Wall seconds for all the hosts, per run. */
  wall: Summary;
  /** The light hosts' CPU seconds for all of them, per run (null: cgroups unreadable). */
  hostsCpu: Summary | null;
  concurrency: number;
}

/**
 * `o.runs` times, one SSH login per light host running `true`, each a new connection (ControlMaster=no,
 * ControlPath=none): key exchange, authentication, a session, what every first contact of an SSH tool
 * pays on both ends. Measured so that the check's per-host figures can be read against it.
 */
async function sshFloor(hosts: string[], ids: string[], o: Options): Promise<SshFloor> {
  const concurrency = 20;
  const wall: number[] = [];
  const cpu: number[] = [];
  const login = async (h: string) => {
    const r =
      await $`ssh -F ${labFiles.lightSshConfig} -o ControlMaster=no -o ControlPath=none -o BatchMode=yes ${h} true`
        .noThrow().quiet().timeout(60_000);
    if (r.code !== 0) throw new BenchFailure(`ssh ${h} true: exit ${r.code}: ${r.stderr}`);
  };
  for (let k = 1; k <= o.runs; k++) {
    const before = await containersCpuSeconds(ids);
    const t0 = performance.now();
    const queue = [...hosts];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let h = queue.shift(); h; h = queue.shift()) await login(h);
      }),
    );
    wall.push((performance.now() - t0) / 1000);
    const after = await containersCpuSeconds(ids);
    if (before !== null && after !== null) cpu.push(after - before);
    log(
      `light: ${hosts.length} SSH logins alone (ssh HOST true, no master) run ${k}: ${secs(wall.at(-1)!)} s`,
    );
  }
  return { wall: summarize(wall), hostsCpu: cpu.length ? summarize(cpu) : null, concurrency };
}

const machineBusy = async () => busyCpuSeconds(await Deno.readTextFile("/proc/stat"));

/** Sum of the processes' resident sets in a container (`docker top … -eo pid,rss`), bytes. */
async function containerRss(container: string): Promise<number> {
  const r = await $`docker top ${container} -eo pid,rss`.quiet().noThrow().timeout(30_000);
  // docker top adds the PID column to the ones asked for: RSS (KiB) is the last one.
  return r.stdout.trim().split("\n").slice(1).reduce(
    (a, l) => a + (Number(l.trim().split(/\s+/).at(-1)) || 0),
    0,
  ) *
    1024;
}

function hostErrors(r: Timed): string[] {
  return (r.json.hosts as HostReport[]).filter((h) => !["ok", "changed"].includes(h.status)).map((h) => {
    const s = h.steps.find((x) => x.status === "failed");
    return `${h.host}: ${h.status}${s ? ` at ${s.step}: ${s.error}` : h.error ? `: ${h.error}` : ""}`;
  });
}

async function benchLight(o: Options): Promise<LightResult> {
  const n = o.light;
  log(`light: lab up --light ${n}`);
  const t0 = performance.now();
  const up = await lightUp(n, log);
  const upSeconds = (performance.now() - t0) / 1000;
  const hosts = up.hosts.map((h) => h.name).slice(0, n);
  const ids = up.hosts.slice(0, n).map((h) => h.id);
  const rss = await Promise.all(hosts.map((h) => containerRss(containerName(h))));
  const hostRssBytes = summarize(rss).median;
  log(`light: ${n} hosts up in ${secs(upSeconds)} s; one host resident ${mib(hostRssBytes)} (median)`);
  const runs: LightRun[] = [];
  let floor: SshFloor | null = null;
  // Interrupted, the bench still takes its fifty hosts down (unless --keep) before it exits.
  const handlers = (["SIGINT", "SIGTERM"] as const).map((sig) => {
    const h = () => {
      log(`${sig}: ${o.keep ? "light hosts kept (--keep)" : "taking the light hosts down"}, then exiting`);
      (o.keep ? Promise.resolve() : lightDown(log).then(() => {})).finally(() =>
        Deno.exit(sig === "SIGINT" ? 130 : 143)
      );
    };
    Deno.addSignalListener(sig, h);
    return [sig, h] as const;
  });
  try {
    for (const forks of o.forks.length ? o.forks : [null]) {
      const args = [
        "--inventory",
        up.inventory,
        "--limit",
        hosts.join(","),
        ...(forks ? ["--forks", `${forks}`] : []),
      ];
      const t = {
        check: [] as number[],
        checkRss: [] as number[],
        checkCpu: [] as number[],
        checkHostsCpu: [] as number[],
        checkMachineCpu: [] as number[],
        facts: [] as number[],
        factsRss: [] as number[],
      };
      let checkFailures: string[] = [];
      let planned: Record<string, number> = {};
      for (let k = 1; k <= o.runs; k++) {
        const [hosts0, busy0] = [await containersCpuSeconds(ids), await machineBusy()];
        const c = await measuredCli("deploy.ts", [...args, "--check"], 5 * 60_000);
        const [hosts1, busy1] = [await containersCpuSeconds(ids), await machineBusy()];
        if (hosts0 !== null && hosts1 !== null) t.checkHostsCpu.push(hosts1 - hosts0);
        t.checkMachineCpu.push(busy1 - busy0);
        const reported = (c.json.hosts as HostReport[]).length;
        if (reported !== n) throw new BenchFailure(`deploy --check reported ${reported} hosts, not ${n}`);
        // A failed step ends that host's plan early: the run is kept, flagged, and the bench exits 2.
        checkFailures = hostErrors(c);
        if (k === 1) {
          planned = Object.fromEntries(
            (c.json.hosts[0] as HostReport).steps.map((s) => [s.step, s.changes.length]),
          );
        }
        t.check.push(c.seconds);
        t.checkRss.push(c.peakRssBytes);
        t.checkCpu.push(c.cpuSeconds);
        const f = await measuredCli("01_facts.ts", args, 5 * 60_000);
        if (f.code !== 0) {
          throw new BenchFailure(`facts failed (exit ${f.code}):\n${hostErrors(f).join("\n")}`);
        }
        t.facts.push(f.seconds);
        t.factsRss.push(f.peakRssBytes);
        log(
          `light N=${n}${forks ? ` --forks ${forks}` : ""} run ${k}: deploy --check ${secs(c.seconds)} s ` +
            `(${mib(c.peakRssBytes)} peak, ${secs(c.cpuSeconds)} s CPU, exit ${c.code}), facts ${
              secs(f.seconds)
            } s (${mib(f.peakRssBytes)} peak)`,
        );
      }
      runs.push({
        forks,
        check: summarize(t.check),
        checkRss: summarize(t.checkRss),
        checkCpu: summarize(t.checkCpu),
        checkHostsCpu: t.checkHostsCpu.length ? summarize(t.checkHostsCpu) : null,
        checkMachineCpu: summarize(t.checkMachineCpu),
        facts: summarize(t.facts),
        factsRss: summarize(t.factsRss),
        checkFailures,
        planned,
      });
    }
    // Measured last: a login that fails here loses this figure only, not the check's.
    floor = await sshFloor(hosts, ids, o).catch((e) => {
      log(`light: the SSH floor was not measured: ${(e as Error).message}`);
      return null;
    });
  } finally {
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
    if (!o.keep) await lightDown(log);
  }
  return {
    n,
    hosts,
    upSeconds,
    hostRssBytes,
    runs,
    sshFloor: floor,
    leftAfterDown: o.keep ? null : await existingLightHosts(),
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

/** What the budgets need from the results. */
function budgetFigures(results: NResult[], fp: Footprint | null, light: LightResult | null): BudgetFigures {
  const first = light?.runs[0];
  return {
    lab: new Map(
      results.map((r) => [r.n, {
        cold: r.measures.cold.median,
        noop: r.measures.noop.median,
        verify: r.measures.verify.median,
      }]),
    ),
    ansibleCold: new Map(results.flatMap((r) => (r.ansible ? [[r.n, r.ansible.cold.median] as const] : []))),
    containersBytes: fp?.rssTotalBytes,
    lightCheck: light && first
      ? {
        hosts: light.n,
        // Every run counts, the first included (issue 25): the slowest one is held to the budget.
        seconds: first.check.max,
        peakRssBytes: first.checkRss.max,
        forks: first.forks ?? undefined,
        hostsCpuSeconds: first.checkHostsCpu?.max ?? null,
      }
      : undefined,
  };
}

/** The side-by-side rows of the host counts Ansible ran on. */
function sideBySide(results: NResult[]): SideBySideRow[] {
  return results.flatMap((r) =>
    r.ansible
      ? [sideBySideRow(r.n, { cold: r.ansible.cold.median, noop: r.ansible.noop.median }, {
        cold: r.measures.cold.median,
        noop: r.measures.noop.median,
      })]
      : []
  );
}

function report(
  o: Options,
  m: Awaited<ReturnType<typeof machine>>,
  results: NResult[],
  fp: Footprint | null,
  light: LightResult | null,
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
    if (r.coldSteps.length) {
      lines.push(
        `  cold deploy: the machine busy ${secs(r.coldMachineCpu.median)} CPU-s (median; /proc/stat, ` +
          `everyone's) in ${secs(r.measures.cold.median)} s on ${navigator.hardwareConcurrency} CPUs: ` +
          `${
            Math.round(
              100 * r.coldMachineCpu.median / (r.measures.cold.median * navigator.hardwareConcurrency),
            )
          } % ` +
          `of what they could give`,
        `  cold deploy per step (${o.runs} run(s); each run's median host; image_delivery: ${o.delivery}):`,
        ...breakdownLines(r.coldSteps).map((l) => `    ${l}`),
      );
      if (!r.coldSteps.some((x) => x.bytesSent)) {
        lines.push("    (no image was pushed: no bytes to print)");
      }
    }
    if (r.tagChange) {
      const t = r.tagChange;
      const sent = summarize(t.sent.map((x) => x.bytes));
      lines.push(
        `  image-tag change (prometheus → a tag adding one ${mib(t.layerBytes)} layer; ${o.runs} run(s)): ` +
          `${secs(t.seconds.median)} s (${secs(t.seconds.min)}–${secs(t.seconds.max)}); sent per host ` +
          `${mib(sent.median)} (${mib(sent.min)}–${mib(sent.max)}) of a ${
            mib(t.sent[0].fullBytes)
          } archive, ` +
          `${t.sent[0].layersSent} layer sent, ${t.sent[0].layersSkipped} left out` +
          (t.sent.some((x) => x.compressed) ? ", gzip" : ""),
      );
    }
  }
  const rows = sideBySide(results);
  if (rows.length) {
    lines.push(
      "",
      `Side by side with Ansible (bench/ansible/site.yml, pipelining, forks 10), same hosts reset each run, ` +
        `medians of ${o.runs} run(s), wall seconds:`,
      "",
      sideBySideTable(rows, o.runs),
    );
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
  if (light) {
    lines.push(
      "",
      `N=${light.n} light hosts (${light.hosts[0]}…${
        light.hosts.at(-1)
      }; sshd + Apache, no systemd, no Docker), ` +
        `up in ${secs(light.upSeconds)} s, ${
          mib(light.hostRssBytes)
        } resident each (median); ${o.runs} run(s) each:`,
      "wall seconds of the CLI process (Deno start-up included), the controller's peak RSS (GNU time %M, largest " +
        "run) and CPU seconds (%U + %S), the light hosts' CPU seconds (their cgroups) and the whole machine's busy " +
        `CPU seconds (/proc/stat, everyone's; ${navigator.hardwareConcurrency} CPUs) during deploy --check, medians`,
    );
    const range = (x: Summary, f: (v: number) => string) => `${f(x.median)} (${f(x.min)}–${f(x.max)})`;
    lines.push(table([
      [
        "--forks",
        "deploy --check s",
        "peak RSS",
        "CPU s",
        "hosts CPU s",
        "machine CPU s",
        "facts s",
        "peak RSS",
      ],
      ...light.runs.map((r) => [
        r.forks === null ? "default" : `${r.forks}`,
        range(r.check, secs),
        mib(r.checkRss.max),
        secs(r.checkCpu.median),
        r.checkHostsCpu ? secs(r.checkHostsCpu.median) : "n/a",
        secs(r.checkMachineCpu.median),
        range(r.facts, secs),
        mib(r.factsRss.max),
      ]),
    ]));
    const f = light.sshFloor;
    if (f) {
      lines.push(
        `  SSH logins alone (ssh HOST true, new connections, ${f.concurrency} at once): ${
          range(f.wall, secs)
        } s wall; the light hosts' CPU ${
          f.hostsCpu ? `${secs(f.hostsCpu.median)} s, ${secs(f.hostsCpu.median / light.n)} s per host` : "n/a"
        }: the floor under any SSH tool's first contact`,
      );
    }
    const p = light.runs[0]?.planned ?? {};
    lines.push(
      `  planned on ${light.hosts[0]}: ${Object.entries(p).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    );
    for (const r of light.runs.filter((r) => r.checkFailures.length)) {
      lines.push(
        `  INCOMPLETE PLAN${r.forks === null ? "" : ` (--forks ${r.forks})`}: deploy --check failed on ` +
          `${r.checkFailures.length} host(s), e.g. ${r.checkFailures[0]}`,
      );
    }
    lines.push(
      light.leftAfterDown === null
        ? "  light hosts kept (--keep): `deno task lab down --light` removes them"
        : `  lab down --light: ${
          light.leftAfterDown.length ? `LEFT ${light.leftAfterDown.join(", ")}` : "no light host left"
        }`,
    );
  }
  const b = evaluateBudgets(budgetFigures(results, fp, light));
  lines.push("", "Budgets", ...budgetLines(b));
  lines.push(
    "",
    `Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memory} RAM, kernel ${m.kernel}, Docker ${m.docker}, Deno ${m.deno}, ${m.date}`,
  );
  return { text: lines.join("\n"), budgets: b as Budget[] };
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
  let light: LightResult | null = null;
  let failure: string | null = null;
  try {
    await ensureControllerTools(o.ansible ? ["lab", "bench", "ansible"] : ["lab", "bench"], log);
    for (const n of o.hosts) results.push(await benchN(n, o));
    if (o.soakMs > 0) fp = await footprint(o.firstHost, o);
    if (o.light > 0) {
      light = await benchLight(o);
      const incomplete = light.runs.find((r) => r.checkFailures.length);
      if (incomplete) {
        failure =
          `deploy --check did not end with a plan on ${incomplete.checkFailures.length} light host(s):\n  ` +
          incomplete.checkFailures.slice(0, 3).join("\n  ");
      }
      if (light.leftAfterDown?.length) failure = `lab down --light left ${light.leftAfterDown.join(", ")}`;
    }
  } catch (e) {
    if (!(e instanceof BenchFailure)) throw e;
    failure = e.message;
  }
  const r = report(o, m, results, fp, light);
  if (o.json) {
    console.log(
      JSON.stringify(
        {
          machine: m,
          options: o,
          results,
          sideBySide: sideBySide(results),
          footprint: fp,
          light,
          budgets: r.budgets,
          failure,
        },
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
  return budgetExitCode(r.budgets);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
