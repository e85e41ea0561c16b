import { type Ssh, unreachableReason } from "./ssh.ts";
import { UnreachableError } from "../base/errors.ts";
import { LOCK_DIR, LOCK_FILE } from "../base/names.ts";

// Holds flock(1) on the host for as long as this ssh session lives: when our process ends,
// however it ends, the session closes, `cat` sees EOF and the kernel drops the lock. No stale
// lock file can outlive a killed run. The first stdin line says who holds it.
// The folder is made by root with mode 0700 (/run itself is root's), and checked rather than trusted:
// a symlink or a folder of another owner or mode is refused, never followed or repaired. In the
// world-writable /run/lock any user could hold the lock forever, choose the text we show, or plant a
// symlink that root's write would follow.
// Right after taking the lock it runs the probe that came after the owner line (its length in bytes on
// the second line), so the plan reads the host as it is under our lock, in the same round trip.
const HOLDER = `IFS= read -r owner
IFS= read -r probelen
d=${LOCK_DIR}; f=${LOCK_FILE}
[ -L "$d" ] || mkdir -m 0700 "$d" 2>/dev/null || true
if [ -L "$d" ] || [ ! -d "$d" ] || [ "$(stat -c '%u %a' "$d")" != "0 700" ]; then
  echo "refused $d is not a root-owned folder of mode 0700"; exit 76
fi
if [ -L "$f" ] || { [ -e "$f" ] && [ ! -f "$f" ]; }; then echo "refused $f is not a regular file"; exit 76; fi
exec 9>>"$f"
if ! flock -n 9; then
  # The holder writes its name right after it gets the lock: give it that instant.
  sleep 0.3; echo "busy $(head -c 300 "$f" | head -n 1)"; exit 75
fi
# The holder's line lives in the locked file itself (truncating it keeps our lock: flock holds the inode).
printf '%s\\n' "$owner" > "$f"
echo locked
case "$probelen" in ''|*[!0-9]*) probelen=0 ;; esac
if [ "$probelen" -gt 0 ]; then head -c "$probelen" | /bin/sh; echo "@@isa-probed $?"; fi
cat >/dev/null
`;

/** The holder's line as we show it: one line, no control characters (no escape sequences). */
export function cleanHolder(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "").trim().slice(0, 200);
}

/** A lock on a host, held by a background ssh session. */
export class HostLock {
  /** Output of the probe run under the lock ("" when none was given). */
  probed = "";

  private constructor(
    private readonly child: Deno.ChildProcess,
    private readonly stdin: WritableStreamDefaultWriter,
  ) {}

  /**
   * Takes the host's deploy lock, or throws naming who holds it. `owner` is a human string
   * (user@controller, pid, start time). `probe`, a script run as root once the lock is held, is
   * answered with its output (`probed`) in the same round trip.
   */
  static async acquire(
    ssh: Ssh,
    owner: string,
    probe?: { script: string; log?: (line: string) => void; what?: string },
  ): Promise<HostLock> {
    probe?.log?.(`$ lock; ${probe.what ?? "probe"}`);
    const child = await ssh.spawnRoot(HOLDER);
    const writer = child.stdin.getWriter();
    const enc = new TextEncoder();
    const script = enc.encode(probe?.script ?? "");
    // When ssh dies before reading its stdin (the host went away since the connection check), the write
    // fails with EPIPE: what ssh says and its exit code tell more, below.
    await writer.write(enc.encode(`${cleanHolder(owner)}\n${script.length}\n`))
      .then(() => writer.write(script)).catch(() => {});
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let first = "";
    while (!first.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      first += value;
    }
    let probed = "";
    if (first.startsWith("locked\n") && script.length) {
      probed = first.slice("locked\n".length);
      while (!/(^|\n)@@isa-probed \d+\n/.test(probed)) {
        const { value, done } = await reader.read();
        if (done) break;
        probed += value;
      }
    }
    reader.releaseLock();
    const line = first.split("\n")[0].trim();
    if (line === "locked") {
      const lock = new HostLock(child, writer);
      lock.probed = probed;
      if (script.length && !/(^|\n)@@isa-probed \d+\n/.test(probed)) {
        await lock.release();
        throw new Error("the host's probe (run under the lock) ended without its end marker");
      }
      return lock;
    }
    await writer.close().catch(() => {});
    const status = await child.status;
    const err = new TextDecoder().decode(
      await new Response(child.stderr).arrayBuffer().catch(() => new ArrayBuffer(0)),
    );
    if (line.startsWith("busy")) {
      throw new Error(
        `another run holds this host's lock (${
          cleanHolder(line.slice(5)) || "owner unknown"
        }); try again when it ends`,
      );
    }
    if (line.startsWith("refused")) throw new Error(`host lock refused: ${cleanHolder(line.slice(8))}`);
    if (status.code === 255) throw new UnreachableError(`${ssh.host.name}: ${unreachableReason(err)}`);
    throw new Error(`could not take the host lock (exit ${status.code}): ${cleanHolder(err)}`);
  }

  /** Releases the lock (closing the session). */
  async release(): Promise<void> {
    await this.stdin.close().catch(() => {});
    await this.child.status.catch(() => {});
    await this.child.stdout.cancel().catch(() => {});
    await this.child.stderr.cancel().catch(() => {});
  }
}
