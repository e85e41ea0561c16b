/** Why a container could not publish its port: who holds it on the host (`ss`). */
import type { Ssh } from "../transport/ssh.ts";
import { exec } from "../transport/exec.ts";
import { whoListens } from "../commands/probe.ts";

/**
 * Docker's "bind: address already in use" names the port but not who holds it; the operator's next
 * question is "which process?", so the host is asked (`ss`) and the answer put in the error.
 * Other errors pass through unchanged.
 */
export async function explainPortClash(ssh: Ssh, name: string, e: unknown): Promise<never> {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /listen \S+ \S*:(\d+): bind: address already in use/.exec(msg);
  if (!m) throw e;
  const r = await exec(ssh, whoListens(m[1]));
  const holders = [
    ...new Set([...r.stdout.matchAll(/\("([^"]+)",pid=(\d+)/g)].map((h) => `${h[1]} (pid ${h[2]})`)),
  ];
  throw new Error(
    `port ${m[1]} is already taken on the host${holders.length ? ` by ${holders.join(", ")}` : ""}; ` +
      `container ${name} was not started: stop that process or change ports in the inventory\n(Docker: ${msg.trim()})`,
  );
}
