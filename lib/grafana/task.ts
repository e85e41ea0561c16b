/**
 * `deno task grafana`: reads each selected host's frontend certificate over SSH, then publishes one
 * data source per host (plus the central store's, when `remote_write` is set) and the dashboard to the
 * hosted Grafana. Only this file talks to hosts and Grafana; lib/grafana/api.ts and publish.ts stay pure
 * and injectable.
 */
import { installPaths } from "../inventory/paths.ts";
import { UnreachableError, UsageError } from "../base/errors.ts";
import type { Host } from "../inventory/host.ts";
import type { Inventory } from "../inventory/load.ts";
import { colour, say, statusWord, warn } from "../base/output.ts";
import { redact } from "../base/redact.ts";
import { type Secrets } from "../inventory/secrets.ts";
import type { GrafanaTarget, RemoteWrite } from "../inventory/vars.ts";
import { type FleetEnd, type FleetRun, type FleetTask, runFleet, withSession } from "../fleet/fleet.ts";
import { buildPlan, centralDatasource, type GrafanaHostInput } from "./api.ts";
import { GrafanaError, publish, type PublishAction } from "./publish.ts";

/** Injectable parts of the task (tests swap fetch; the CLI uses the real one). */
export interface GrafanaTaskDeps {
  fetchFn?: (input: string, init: RequestInit) => Promise<Response>;
  /** Milliseconds before one Grafana request is given up (a black-holed URL would hang otherwise). */
  timeoutMs?: number;
}

/** What reading one host's certificate gave. */
export interface CertRead {
  host: string;
  status: "ok" | "failed" | "unreachable";
  /** Where the certificate was read (host path). */
  path: string;
  error?: string;
  pem?: string;
}

/** The JSON document of `--json`. */
export interface GrafanaReport {
  task: "grafana";
  check: boolean;
  seconds: number;
  exitCode: number;
  grafana: { url: string; org: string } | null;
  hosts: Omit<CertRead, "pem">[];
  actions: PublishAction[];
  error?: string;
}

const TASK = "grafana";

/**
 * The one value every selected host shares for a deployment-wide setting (`grafana`, `remote_write`):
 * Grafana has one dashboard and one central data source per deployment, so hosts that disagree are an
 * input error rather than something to pick from silently.
 */
export function sharedSetting<T>(
  inventory: Pick<Inventory, "file">,
  hosts: Host[],
  name: string,
  get: (h: Host) => T,
): T {
  const first = get(hosts[0]);
  for (const h of hosts.slice(1)) {
    if (JSON.stringify(get(h)) !== JSON.stringify(first)) {
      throw new UsageError(
        `${inventory.file}: vars.${name} differs between ${hosts[0].name} and ${h.name}; ` +
          "it is one setting per deployment (set it in the inventory's vars)",
      );
    }
  }
  return first;
}

/** The Grafana target of the selected hosts; a usage error naming the inventory when unset. */
export function grafanaTarget(inventory: Pick<Inventory, "file">, hosts: Host[]): GrafanaTarget {
  const g = sharedSetting(inventory, hosts, "grafana", (h) => h.vars.grafana);
  if (!g) {
    throw new UsageError(
      `${inventory.file}: vars.grafana is not set: add grafana: {url, org, dashboard_uid} to its vars`,
    );
  }
  return g;
}

/** The Grafana token of the secrets; a usage error saying where to put it when missing. */
export function grafanaToken(secrets: Secrets, inventory: Pick<Inventory, "file">): string {
  const t = secrets.grafana?.token;
  if (!t) {
    throw new UsageError(
      `the secrets of ${inventory.file} have no grafana.token: add grafana: {token: <service account token>}`,
    );
  }
  return t;
}

/** Reads one host's frontend certificate over one SSH connection; never throws. */
export async function readHostCert(host: Host, debug: (line: string) => void): Promise<CertRead> {
  const path = installPaths(host.vars).cert;
  try {
    return await withSession(host, debug, async (ssh): Promise<CertRead> => {
      const pem = await ssh.readFile(path);
      if (pem === null) {
        return {
          host: host.name,
          status: "failed",
          path,
          error: `${path} is missing: deploy the host first`,
        };
      }
      if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
        return { host: host.name, status: "failed", path, error: `${path} is not a PEM certificate` };
      }
      return { host: host.name, status: "ok", path, pem };
    });
  } catch (e) {
    const msg = redact(e instanceof Error ? e.message : String(e));
    return {
      host: host.name,
      status: e instanceof UnreachableError ? "unreachable" : "failed",
      path,
      error: msg,
    };
  }
}

/** The data source input of a host whose certificate was read. */
export function hostInput(host: Host, pem: string): GrafanaHostInput {
  const v = host.vars;
  return {
    name: host.name,
    fqdn: v.fqdn,
    // The address clients use (README: public_address), which is also on the certificate.
    address: v.public_address || v.fqdn,
    httpsPort: v.ports.https,
    caCertPem: pem,
    scrapeInterval: v.scrape_interval,
  };
}

function actionLine(a: PublishAction, check: boolean): string {
  const kind = a.kind.padEnd(10);
  const name = `${a.name} (${a.uid})`.padEnd(34);
  if (a.action === "unchanged") return `${kind} ${name} ${statusWord("ok")} unchanged`;
  const verb = check ? `would ${a.action}` : a.action;
  // Field names only: values may be secrets (secureJsonData) or a whole dashboard.
  const fields = a.fields.length ? `: ${a.fields.join(", ")}` : "";
  return `${kind} ${name} ${colour.yellow(verb)}${fields}`;
}

function tally(actions: PublishAction[], check: boolean): string {
  const n = (k: PublishAction["action"]) => actions.filter((a) => a.action === k).length;
  const w = check ? "would " : "";
  return `${w}create ${n("create")}, ${w}update ${n("update")}, unchanged ${n("unchanged")}`;
}

/** Runs the task with `args`; prints as it goes and returns the exit code. */
export function grafanaTask(args: string[], deps: GrafanaTaskDeps = {}): Promise<number> {
  return runFleet(grafanaFleetTask(deps), args);
}

/** What the grafana task settles before any host: the target, the central store, the token, its output. */
interface GrafanaInput {
  target: GrafanaTarget;
  remoteWrite: RemoteWrite | null;
  secrets: Secrets;
  token: string;
  log: (line: string) => void;
  debug: (line: string) => void;
}

/** The grafana task: `readHostCert` on every host, then one publish of every readable host's data source. */
function grafanaFleetTask(deps: GrafanaTaskDeps): FleetTask<CertRead, GrafanaInput> {
  return {
    name: TASK,
    flags: {
      validate: (opts) => {
        if (opts.diff) {
          throw new UsageError("grafana: --diff does not apply (changed fields are always listed)");
        }
      },
    },
    prepare: prepareGrafana,
    host: (h, _run, { debug }) => readHostCert(h, (l) => debug(`${h.name.padEnd(10)} ${l}`)),
    outcome: (c) => c.status,
    finish: (certs, run, input) => publishAll(certs, run, input, deps),
  };
}

/** Checks the deployment-wide settings and the token (usage errors, before any host), prints the title. */
async function prepareGrafana(run: FleetRun): Promise<GrafanaInput> {
  const { opts, hosts, inventory } = run;
  const target = grafanaTarget(inventory, hosts);
  const remoteWrite = sharedSetting(inventory, hosts, "remote_write", (h) => h.vars.remote_write);
  const secrets = await run.secrets();
  const token = grafanaToken(secrets, inventory);
  if (remoteWrite) {
    // Checked before any host is contacted: a central store without its credentials is bad input.
    try {
      centralDatasource(inventory.deployment, remoteWrite, secrets.remote_write, token);
    } catch (e) {
      throw new UsageError(`${inventory.file}: ${(e as Error).message}`);
    }
  }
  const log = (line: string) => {
    if (!opts.json) say(line);
  };
  // -v with --json traces to stderr, so stdout stays one JSON document.
  const debug = (line: string) => {
    if (!opts.verbose) return;
    if (opts.json) warn(line);
    else say(colour.dim(line));
  };
  log(colour.bold(
    `grafana: ${hosts.map((h) => h.name).join(", ")} → ${target.url} (organisation "${target.org}")` +
      (opts.check ? " (check mode)" : ""),
  ));
  return { target, remoteWrite, secrets, token, log, debug };
}

/** Lists the certificates read, publishes the readable hosts' data sources and the dashboard, and says how it went. */
async function publishAll(
  certs: CertRead[],
  run: FleetRun,
  input: GrafanaInput,
  deps: GrafanaTaskDeps,
): Promise<FleetEnd> {
  const { opts } = run;
  const { target, log } = input;
  for (const c of certs) {
    const what = c.status === "ok" ? `certificate ${c.path}` : c.error;
    log(`${colour.bold(c.host.padEnd(10))} ${statusWord(c.status)} ${what}`);
  }
  const readable = certs.filter((c) => c.status === "ok");

  let actions: PublishAction[] = [];
  let error: string | undefined;
  if (readable.length === 0) {
    // Nothing to point a data source at; publishing the dashboard alone would only hide the problem.
    error = "no host certificate could be read: nothing was published";
  } else {
    try {
      actions = await publishPlan(readable, run, input, deps);
    } catch (e) {
      if (!(e instanceof GrafanaError)) throw e;
      error = e.message;
    }
    for (const a of actions) log(actionLine(a, opts.check));
  }

  const seconds = run.seconds();
  if (error) warn(`error: ${error}`);
  return {
    // With no readable host, the hosts' own statuses (failed, unreachable) already make the code.
    otherFailure: error !== undefined && readable.length > 0,
    lead: { check: opts.check, seconds },
    rest: {
      grafana: { url: target.url, org: target.org },
      hosts: certs.map(({ pem: _pem, ...rest }) => rest),
      actions,
      ...(error ? { error } : {}),
    } satisfies Omit<GrafanaReport, "task" | "check" | "seconds" | "exitCode">,
    recap: () => {
      say("");
      say(
        colour.bold(`RECAP grafana${opts.check ? " (check mode: nothing was changed)" : ""}`) +
          ` ${readable.length}/${certs.length} host(s) read; ${tally(actions, opts.check)}` +
          colour.dim(` (${seconds.toFixed(1)}s)`),
      );
    },
  };
}

/** Publishes the plan of the readable hosts (throws GrafanaError when Grafana refuses). */
function publishPlan(
  readable: CertRead[],
  run: FleetRun,
  { target, secrets, token, remoteWrite, debug }: GrafanaInput,
  deps: GrafanaTaskDeps,
): Promise<PublishAction[]> {
  const byName = new Map(run.hosts.map((h) => [h.name, h]));
  const plan = buildPlan({
    deployment: run.inventory.deployment,
    grafana: target,
    token,
    hosts: readable.map((c) => hostInput(byName.get(c.host)!, c.pem!)),
    // Grafana logs in as the first frontend user; the others are for people.
    frontend: secrets.frontend.credentials[0],
    remoteWrite,
    remoteWriteSecrets: secrets.remote_write,
  });
  const timeoutMs = deps.timeoutMs ?? 30_000;
  const baseFetch = deps.fetchFn ?? fetch;
  const fetchFn = (input: string, init: RequestInit) =>
    baseFetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  return publish(plan, fetchFn, {
    dryRun: run.opts.check,
    trace: (req, status) => {
      // redactRequest has masked the token and every secure value; redact() is a second net.
      debug(`  ${req.method} ${req.path} → ${status}  headers ${JSON.stringify(req.headers)}`);
      if (req.body !== undefined && req.path.startsWith("/api/datasources")) {
        debug(`    body ${JSON.stringify(req.body)}`);
      }
    },
  });
}
