/** Tests against the lab's VictoriaMetrics: its Prometheus query API, with basic auth. */
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { LabInfo } from "../../lib/lab/mod.ts";
import { type LabVictoria, startVictoria } from "../../lib/lab/victoria.ts";
import { randomPassword } from "../../lib/lab/secrets.ts";
import { labVariant } from "./lab.ts";
import { until } from "./until.ts";

/** One series of an answer: an instant vector has `value`, a range vector (`x[5m]`) `values`. */
export interface Series {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

/** A running lab VictoriaMetrics, its credentials, and an inventory/secrets pair that writes to it. */
export interface VictoriaSetup extends LabVictoria {
  user: string;
  password: string;
  /** `Basic …` header value. */
  auth: string;
  /** Secrets file (the lab's, plus remote_write and a Grafana token). */
  secrets: string;
  /** Lab inventory variant with remote_write to it (basic auth, query URL derived from the write URL). */
  inventory: string;
  grafanaToken: string;
}

/** Instant query (at `time`, seconds, when given) on VictoriaMetrics' Prometheus API. */
export async function vmQuery(vm: VictoriaSetup, promql: string, time?: number): Promise<Series[]> {
  const params = new URLSearchParams({ query: promql });
  if (time !== undefined) params.set("time", String(time));
  const res = await fetch(`${vm.queryUrl}/api/v1/query?${params}`, {
    headers: { authorization: vm.auth },
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.json();
  if (body.status !== "success") throw new Error(`${promql}: ${res.status} ${body.error}`);
  return body.data.result;
}

/** HTTP status of a GET on VictoriaMetrics (0 when nothing answers). */
export async function vmStatus(vm: LabVictoria, path: string, auth?: string): Promise<number> {
  try {
    const r = await fetch(`${vm.queryUrl}${path}`, {
      headers: auth ? { authorization: auth } : {},
      signal: AbortSignal.timeout(3000),
    });
    await r.body?.cancel();
    return r.status;
  } catch {
    return 0;
  }
}

/** Starts the lab's VictoriaMetrics and writes the secrets and inventory that point the lab hosts at it. */
export async function setUpVictoria(info: LabInfo, name: string): Promise<VictoriaSetup> {
  const user = "isa-rw";
  const password = randomPassword(32);
  const vm = await startVictoria(user, password);
  await until(
    "VictoriaMetrics to answer",
    30_000,
    async () => (await vmStatus(vm, "/health")) === 200 || undefined,
  );
  const grafanaToken = `glsa_vm_${crypto.randomUUID().replaceAll("-", "")}`;
  const secrets = join(info.dir, `secrets-${name}.yml`);
  const base = parse(await Deno.readTextFile(join(info.dir, "secrets.yml")));
  await Deno.writeTextFile(
    secrets,
    stringify({ ...base, grafana: { token: grafanaToken }, remote_write: { username: user, password } }),
    { mode: 0o600 },
  );
  await Deno.chmod(secrets, 0o600);
  const inventory = await labVariant(info, name, (text) => {
    const doc = parse(text);
    doc.secrets = { file: secrets };
    // No query_url: Grafana's is the write URL without /api/v1/write, VictoriaMetrics' query API root.
    doc.vars.remote_write = { url: vm.writeUrl, auth: "basic" };
    // The lab's VictoriaMetrics serves plain http: the lab's opt-in for credentials in clear.
    doc.vars.insecure_http_for_lab = true;
    return stringify(doc);
  });
  return {
    ...vm,
    user,
    password,
    auth: `Basic ${btoa(`${user}:${password}`)}`,
    secrets,
    inventory,
    grafanaToken,
  };
}
