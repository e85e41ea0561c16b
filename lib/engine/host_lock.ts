import type { Ssh } from "../transport/ssh.ts";

const LOCK = "/run/lock/isa-monitoring.lock";

// Holds flock(1) on the host for as long as this ssh session lives: when our process ends,
// however it ends, the session closes, `cat` sees EOF and the kernel drops the lock. No stale
// lock file can outlive a killed run. The first stdin line says who holds it.
const HOLDER = `IFS= read -r owner
exec 9>>${LOCK}
if ! flock -n 9; then
  # The holder writes its name right after it gets the lock: give it that instant.
  sleep 0.3; echo "busy $(cat ${LOCK}.owner 2>/dev/null)"; exit 75
fi
printf '%s\\n' "$owner" > ${LOCK}.owner
echo locked
cat >/dev/null
`;

/** A lock on a host, held by a background ssh session. */
export class HostLock {
  private constructor(
    private readonly child: Deno.ChildProcess,
    private readonly stdin: WritableStreamDefaultWriter,
  ) {}

  /**
   * Takes the host's deploy lock, or throws naming who holds it. `owner` is a human string
   * (user@controller, pid, start time).
   */
  static async acquire(ssh: Ssh, owner: string): Promise<HostLock> {
    const root = `if [ "$(id -u)" -eq 0 ]; then exec /bin/sh -c '${HOLDER.replaceAll("'", `'\\''`)}'; ` +
      `else exec sudo -n /bin/sh -c '${HOLDER.replaceAll("'", `'\\''`)}'; fi`;
    const child = new Deno.Command("ssh", {
      args: [...ssh.sshArgs(), "--", ssh.host.ssh.address, root],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(owner.replaceAll("\n", " ") + "\n"));
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let first = "";
    while (!first.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      first += value;
    }
    reader.releaseLock();
    const line = first.trim();
    if (line === "locked") return new HostLock(child, writer);
    await writer.close().catch(() => {});
    const status = await child.status;
    const err = new TextDecoder().decode(
      await new Response(child.stderr).arrayBuffer().catch(() => new ArrayBuffer(0)),
    );
    if (line.startsWith("busy")) {
      throw new Error(
        `another run holds this host's lock (${line.slice(5) || "owner unknown"}); try again when it ends`,
      );
    }
    throw new Error(`could not take the host lock (exit ${status.code}): ${err.trim()}`);
  }

  /** Releases the lock (closing the session). */
  async release(): Promise<void> {
    await this.stdin.close().catch(() => {});
    await this.child.status.catch(() => {});
    await this.child.stdout.cancel().catch(() => {});
    await this.child.stderr.cancel().catch(() => {});
  }
}
