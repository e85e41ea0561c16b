/** The one way a built command (lib/commands/) reaches a host. */
import type { Command } from "../commands/command.ts";
import type { RemoteResult, Ssh } from "./ssh.ts";

/** Runs `cmd` as root on the host (see Ssh.run for `check` and `timeoutMs`; `opts` overrides the command's). */
export function exec(
  ssh: Ssh,
  cmd: Command,
  opts: { check?: boolean; timeoutMs?: number } = {},
): Promise<RemoteResult> {
  return ssh.run(cmd.script, { check: cmd.check, timeoutMs: cmd.timeoutMs, ...opts, log: cmd.log });
}
