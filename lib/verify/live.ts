import type { Host } from "../inventory/host.ts";
import type { Credential } from "../inventory/secrets.ts";
import type { CheckResult } from "./evidence.ts";
import { get, publicUrl } from "./public.ts";
import type { PinnedClient } from "./pinned.ts";

const SLOW_CONNECTIONS = 8;

/** Worker slots of a host reading a request: slow connections show up here. */
export function readStateQuery(host: string): string {
  return `sum(apache_scoreboard{instance="${host}",state="read"})`;
}

async function readState(
  host: Host,
  client: PinnedClient | undefined,
  cred: Credential,
): Promise<number | null> {
  const q = readStateQuery(host.name);
  const a = await get(`${publicUrl(host)}/api/v1/query?query=${encodeURIComponent(q)}`, { client, cred });
  if (a.status !== 200) return null;
  const v = JSON.parse(a.body)?.data?.result?.[0]?.value?.[1];
  return v === undefined ? null : Number(v);
}

async function waitFor(
  deadline: number,
  probe: () => Promise<number | null>,
  good: (v: number) => boolean,
): Promise<number | null> {
  let last: number | null = null;
  while (Date.now() < deadline) {
    last = await probe();
    if (last !== null && good(last)) return last;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return last;
}

/**
 * `--live`: holds a few slow requests open on the host's Apache (headers trickled, never finished),
 * which mod_status shows as workers in the "read" state, and checks that Prometheus sees them rise
 * within two scrapes, then fall back once they are closed. Bounded: 8 connections, at most
 * 2 × (2 scrapes + 10 s), all closed in every case.
 */
export async function liveCheck(
  host: Host,
  client: PinnedClient | undefined,
  cred: Credential,
  intervalS: number,
) {
  // Long on purpose: open, watch, close and watch again, with every connection closed in one finally.
  const name = "live: slow requests show up as busy 'read' workers within two scrapes, then fall back";
  const budget = (2 * intervalS + 10) * 1000;
  const probe = () => readState(host, client, cred);
  const before = await probe();
  if (before === null) {
    return {
      id: 7,
      name,
      ok: false,
      evidence: "cannot query the read state",
      cause: "see check 4",
      fix: "deno task deploy",
    } as CheckResult;
  }
  const conns: Deno.TcpConn[] = [];
  const enc = new TextEncoder();
  let timer: ReturnType<typeof setInterval> | undefined;
  let peak: number | null = null;
  let after: number | null = null;
  try {
    for (let i = 0; i < SLOW_CONNECTIONS; i++) {
      const c = await Deno.connect({ hostname: host.vars.public_address, port: 80 });
      await c.write(enc.encode(`GET /?isa-live=${i} HTTP/1.1\r\nHost: ${host.vars.fqdn}\r\n`));
      conns.push(c);
    }
    // A header line now and then keeps mod_reqtimeout from closing them before the scrapes.
    timer = setInterval(
      () => conns.forEach((c) => c.write(enc.encode("X-Isa-Live: 1\r\n")).catch(() => {})),
      2000,
    );
    peak = await waitFor(Date.now() + budget, probe, (v) => v >= before + SLOW_CONNECTIONS / 2);
  } finally {
    clearInterval(timer);
    for (const c of conns) {
      try {
        c.close();
      } catch { /* already closed by Apache */ }
    }
  }
  if (peak !== null && peak >= before + SLOW_CONNECTIONS / 2) {
    after = await waitFor(Date.now() + budget, probe, (v) => v <= before + 1);
  }
  const rose = peak !== null && peak >= before + SLOW_CONNECTIONS / 2;
  const fell = after !== null && after <= before + 1;
  const ok = rose && fell;
  return {
    id: 7,
    name,
    ok,
    evidence: `read workers: ${before} → ${peak ?? "?"} → ${
      after ?? "?"
    } (${SLOW_CONNECTIONS} slow connections)`,
    ...(ok ? {} : {
      cause: rose
        ? "the state did not fall back within two scrapes"
        : "Prometheus did not see the busy workers within two scrapes",
      fix: "check scrape_interval and the exporter's target (checks 2–3)",
    }),
  } as CheckResult;
}
