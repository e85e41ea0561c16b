import { BEGIN } from "../render/apache_block.ts";
import type { RunOptions } from "../engine/cli.ts";
import { MANAGED_LABEL } from "../containers/spec.ts";
import { UnreachableError, UsageError } from "../engine/errors.ts";
import { colour, printable, say } from "../engine/output.ts";
import { EXIT, exitCode, type HostOutcome } from "../engine/report.ts";
import { startTask, usageGuard } from "../engine/start.ts";
import { redact } from "../inventory/redact.ts";
import { gatherFacts } from "../facts/gather.ts";
import { hostContext } from "../engine/context.ts";
import { pool } from "../engine/pool.ts";
import { loadSecrets, type Secrets } from "../inventory/secrets.ts";
import { Ssh } from "../transport/ssh.ts";
import { deploySteps } from "./mod.ts";

/** One container as status reports it. */
interface ContainerRow {
  name: string;
  state: string;
  image: string;
  version: string;
  uptime: string;
}

/** status' answer for one host. */
export interface HostStatus {
  host: string;
  reachable: boolean;
  error?: string;
  containers: ContainerRow[];
  apacheBlock: boolean;
  /** Per step, what a deploy would now change (drift). */
  drift: { step: string; changes: string[] }[];
}

function since(iso: string): string {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 120) return `${s.toFixed(0)}s`;
  if (s < 7200) return `${(s / 60).toFixed(0)}m`;
  if (s < 172800) return `${(s / 3600).toFixed(0)}h`;
  return `${(s / 86400).toFixed(0)}d`;
}

async function hostStatus(
  ssh: Ssh,
  opts: RunOptions,
  secrets: () => Promise<Secrets>,
  debug: (line: string) => void,
): Promise<HostStatus> {
  const host = ssh.host;
  const out: HostStatus = { host: host.name, reachable: true, containers: [], apacheBlock: false, drift: [] };
  try {
    await ssh.open();
    const facts = await gatherFacts(ssh);
    const ctx = hostContext(ssh, facts, opts, secrets, { debug, progress: () => {} });
    if (facts.docker.running) {
      const d = await ctx.docker();
      const list = await d.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=true`] } });
      for (const c of list) {
        const info = await d.getContainer(c.Id).inspect();
        out.containers.push({
          name: c.Names[0].replace(/^\//, ""),
          state: c.State,
          image: c.Image,
          version: c.Image.split(":").pop() ?? "",
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
  } catch (e) {
    out.reachable = !(e instanceof UnreachableError);
    out.error = redact((e as Error).message);
  } finally {
    await ssh.close().catch(() => {});
  }
  return out;
}

function print(s: HostStatus): void {
  const drifted = s.drift.length > 0;
  const head = !s.reachable
    ? colour.magenta("unreachable")
    : s.error
    ? colour.red("error")
    : drifted
    ? colour.yellow("drift")
    : colour.green("as deployed");
  say(`${colour.bold(s.host)} ${head}`);
  if (s.error) say(`  ${printable(s.error)}`);
  if (!s.reachable) return;
  if (s.containers.length === 0) say("  containers: none of ours");
  for (const c of s.containers) {
    say(printable(`  ${c.name.padEnd(16)} ${c.state.padEnd(9)} ${c.image.padEnd(42)} up ${c.uptime}`));
  }
  say(`  apache block: ${s.apacheBlock ? "present" : "absent"}`);
  for (const d of s.drift) for (const c of d.changes) say(`  ${colour.yellow("drift")} ${d.step}: ${c}`);
}

/** A host's status in the words every task's exit code is computed from. */
export function statusOutcome(s: HostStatus): HostOutcome {
  return !s.reachable ? "unreachable" : s.error ? "failed" : "ok";
}

/** status: read-only view of every host (containers, Apache block, firewall and config drift). */
export function status(args: string[]): Promise<number> {
  return usageGuard(async () => {
    const start = await startTask("status", args, {
      validate: (opts) => {
        if (opts.check || opts.diff) {
          throw new UsageError("status only reads: --check and --diff don't apply");
        }
      },
    });
    if (!start) return EXIT.ok;
    const { opts, inventory, hosts } = start;
    let sec: Promise<Secrets> | undefined;
    const secrets = () => (sec ??= loadSecrets(inventory.secrets));
    const results = await pool(hosts, opts.forks, async (host) => {
      const debug = (l: string) =>
        opts.verbose && !opts.json && say(colour.dim(`${host.name.padEnd(10)} ${printable(l)}`));
      const r = await hostStatus(new Ssh(host, { debug }), opts, secrets, debug);
      if (!opts.json) print(r);
      return r;
    });
    const code = exitCode(results.map((r) => ({ status: statusOutcome(r) })));
    // exitCode in the document as every task's JSON has it.
    if (opts.json) {
      console.log(redact(JSON.stringify({ task: "status", exitCode: code, hosts: results }, null, 2)));
    }
    return code;
  });
}
