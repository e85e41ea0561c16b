/** Read-only questions asked of a host beside the batched probe: reachability, who holds a port. */
import type { Command } from "./command.ts";
import type { Vars } from "../inventory/vars.ts";
import { quote } from "../base/quote.ts";
import { proxyEnv } from "./docker.ts";

/**
 * A bounded HEAD request (`curl -sI -m 8`) from the host to each target, all at once, through
 * the proxy when one is set; prints `i code` per target (000: no answer). A registry's 401 is an answer.
 */
export function reachCheck(targets: { url: string }[], vars: Vars): Command {
  const script = [
    proxyEnv(vars.proxy),
    ...targets.map((t, i) =>
      `( echo "${i} $(curl -sI -o /dev/null -m 8 -w '%{http_code}' ${quote(t.url)} 2>/dev/null || true)" ) &`
    ),
    "wait",
  ].filter(Boolean).join("\n");
  return { script, log: "curl -sI the repository and registries" };
}

/** Who listens on TCP `port` (`ss`, with the process); its exit code is not read, nor its stderr. */
export function whoListens(port: string): Command {
  return {
    script: `ss -Htlnp 'sport = :${port}' 2>/dev/null`,
    log: `ss: who listens on port ${port}`,
    check: false,
  };
}
