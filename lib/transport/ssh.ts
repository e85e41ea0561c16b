import { dirname } from "node:path";
import $ from "dax";
import { createHash } from "node:crypto";
import { RemoteError, UnreachableError } from "../base/errors.ts";
import type { Host } from "../inventory/host.ts";
import { quote } from "../base/quote.ts";
import { granted } from "../base/permissions.ts";
import { writeFileScript } from "../commands/files.ts";

/** Output of a remote script. */
export interface RemoteResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How the SSH engine logs. */
export interface SshOptions {
  /** Receives each remote command (with file contents elided) when -v is on. */
  debug?: (line: string) => void;
  /** Seconds to wait for the TCP connection and authentication. */
  connectTimeout?: number;
  /** Folder for ControlMaster sockets and our local Docker sockets. */
  controlDir?: string;
}

/**
 * The remote command that becomes root, written once: `/bin/sh <shArgs>` directly when we log in as
 * root, else via sudo -n (never a password prompt: BatchMode and no TTY).
 */
export function asRoot(shArgs: string): string {
  return `if [ "$(id -u)" -eq 0 ]; then exec /bin/sh ${shArgs}; else exec sudo -n /bin/sh ${shArgs}; fi`;
}

/**
 * The first line the remote shell writes to stderr, before anything else. Without it our command never
 * ran: the connection failed, whatever exit code reached us. ssh exits 255 then, but when it dies before
 * reading its stdin, dax reports the broken pipe (`stdin pipe broken. write EPIPE`) with exit code 1, and
 * which of the two we get is a race.
 */
export const SHELL_MARK = "@@isa-shell";

// The remote side runs the script from stdin as root. Fixed text, so no value is interpolated. The mark
// comes before sudo: a refused sudo is the host's answer (failed), not an unreachable host.
const ROOT_SHELL = `echo ${SHELL_MARK} >&2; ${asRoot("-s")}`;

/**
 * Splits ssh's stderr into whether the remote shell started (its mark is there) and the stderr without
 * the mark.
 */
export function shellReached(stderr: string): { reached: boolean; stderr: string } {
  const re = new RegExp(`(^|\n)${SHELL_MARK}\n`);
  const m = re.exec(stderr);
  if (!m) return { reached: false, stderr };
  return { reached: true, stderr: stderr.slice(0, m.index) + m[1] + stderr.slice(m.index + m[0].length) };
}

/** ssh's own reason for an unreachable host: its last line of stderr that is not a warning or dax's. */
export function unreachableReason(stderr: string): string {
  return stderr.trim().split("\n").filter((l) =>
    l && !l.startsWith("Warning:") && !l.startsWith("stdin pipe broken.")
  ).pop() ?? "ssh ended without a message before the remote shell started (connection lost, or killed)";
}

// Longest name we put in the control folder: ssh's ControlPath `%C` (40 hex) plus the ".XXXXXXXXXXXXXXXX"
// suffix of the temporary socket the master binds before renaming it (OpenSSH mux.c), and our local
// Docker sockets (`docker-<12 hex>-<pid>-<n>.sock`, at most 40). A unix socket path holds at most 104 bytes on
// BSD/macOS (108 on Linux, the trailing NUL included): the folder must leave room for the longest one.
const LONGEST_ENTRY = "/".length + 40 + ".".length + 16;
/** Longest control folder path whose sockets still fit the 104-byte unix socket path limit. */
export const MAX_CONTROL_DIR = 103 - LONGEST_ENTRY;

/**
 * Default folder for control sockets and our local Docker sockets: private to the user, never a
 * predictable name in a shared folder (another user could create it first and listen at the
 * ControlPath, receiving every root script we send). `$XDG_RUNTIME_DIR/isa-ssh` when the runtime
 * folder is the user's own (0700), else `~/.ssh/isa-ssh`; the first one short enough for the socket
 * path limit. Throws when neither fits. Pure: `ensureControlDir` creates and checks it.
 */
export function defaultControlDir(
  env: { XDG_RUNTIME_DIR?: string; HOME?: string } = {
    XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR"),
    HOME: Deno.env.get("HOME"),
  },
): string {
  const candidates: string[] = [];
  const run = env.XDG_RUNTIME_DIR;
  // Only where this process may already read and write (-A): the deno tasks' declared permissions name
  // no runtime folder, and asking would have Deno prompt for it on a terminal.
  if (
    run && run.startsWith("/") && granted(run, "read", "write") &&
    privateDirProblem(lstatOrNull(run), Deno.uid()) === null
  ) {
    candidates.push(`${run.replace(/\/+$/, "")}/isa-ssh`);
  }
  if (env.HOME && env.HOME.startsWith("/")) candidates.push(`${env.HOME.replace(/\/+$/, "")}/.ssh/isa-ssh`);
  const fit = candidates.find((c) => new TextEncoder().encode(c).length <= MAX_CONTROL_DIR);
  if (fit) return fit;
  throw new Error(
    `no private folder for SSH control sockets short enough for the ${MAX_CONTROL_DIR}-byte limit ` +
      `(tried ${candidates.join(", ") || "none: neither XDG_RUNTIME_DIR nor HOME is set"}); ` +
      `use a shorter HOME (the deno tasks may write only under ~/.ssh), or run the task's file with -A ` +
      `and XDG_RUNTIME_DIR set to a short folder of yours with mode 0700`,
  );
}

function lstatOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch {
    return null;
  }
}

/**
 * Why a folder may not hold our sockets, or null when it may: it must be a real folder (not a
 * symlink), owned by `uid`, mode 0700 exactly. `info` is its lstat (null: absent).
 */
export function privateDirProblem(
  info: Pick<Deno.FileInfo, "isDirectory" | "isSymlink" | "uid" | "mode"> | null,
  uid: number | null,
): string | null {
  if (!info) return "it does not exist";
  if (info.isSymlink) return "it is a symbolic link";
  if (!info.isDirectory) return "it is not a folder";
  if (info.uid !== uid) return `it is owned by uid ${info.uid}, not by us (uid ${uid})`;
  const mode = (info.mode ?? 0) & 0o7777;
  if (mode !== 0o700) return `its mode is ${mode.toString(8).padStart(4, "0")}, not 0700`;
  return null;
}

/**
 * Creates the control folder (and its parent, e.g. ~/.ssh) mode 0700 when absent, then checks with
 * lstat that it is a real folder, ours, mode 0700. Throws otherwise: we never use, repair or
 * delete a folder someone else prepared.
 */
export async function ensureControlDir(dir: string): Promise<void> {
  const parent = dir.replace(/\/[^/]+\/?$/, "") || "/";
  for (const d of [parent, dir]) {
    try {
      await Deno.mkdir(d, { mode: 0o700 });
      // mkdir's mode goes through the umask; the folder is new and ours, so set it exactly.
      await Deno.chmod(d, 0o700);
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
  }
  await checkControlDir(dir);
}

/** What checkControlDir needs of a path: its owner, mode bits and whether it is a link. */
export interface PathOwner {
  uid: number;
  mode: number;
  isSymlink: boolean;
}

/**
 * `lstat` of `path`, or null when it does not exist. A task runs with read access to its own folders
 * only (deno.json), so the folders above them (`/`, `/root`) are stat-ed by coreutils' `stat` through
 * `sh`, which the tasks may run: the same answer, without granting the task the whole file system.
 */
async function lstatOwner(path: string): Promise<PathOwner | null> {
  try {
    const st = await Deno.lstat(path);
    return { uid: st.uid ?? -1, mode: st.mode ?? 0, isSymlink: st.isSymlink };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    if (!(e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied)) throw e;
  }
  return await ownerBySh(path);
}

/** `stat` of `path` through `sh` (the tasks may run it; they may not read `/`), or null when it fails. */
async function statBySh(path: string): Promise<PathOwner | null> {
  const out = await new Deno.Command("sh", {
    args: ["-c", 'exec stat -c "%u %f" -- "$1"', "sh", path],
    stdout: "piped",
    stderr: "null",
  }).output();
  const m = /^(\d+) ([0-9a-f]+)$/.exec(new TextDecoder().decode(out.stdout).trim());
  if (!out.success || !m) return null;
  const raw = parseInt(m[2], 16);
  return { uid: Number(m[1]), mode: raw & 0o7777, isSymlink: (raw & 0o170000) === 0o120000 };
}

/** Answers of `statBySh` that only root can change, by path, for the life of this process. */
const settledBySh = new Map<string, PathOwner>();

/**
 * `statBySh`, asked once per process for a folder only root can change: a real folder owned by root and
 * writable by nobody else (its owner, mode, and which folder the name is, are root's to change, and root
 * needs no swap to read our sockets). Every other answer is asked again at each check. Each check asked
 * `/` twice through a new `sh` and `stat` (about 10 ms of the controller's CPU each): six per host in
 * `deploy --check`, a second of CPU on 50 hosts, for an answer that never changes under us.
 */
export async function ownerBySh(
  path: string,
  stat: (path: string) => Promise<PathOwner | null> = statBySh,
): Promise<PathOwner | null> {
  const settled = settledBySh.get(path);
  if (settled) return settled;
  const st = await stat(path);
  if (st && st.uid === 0 && !st.isSymlink && (st.mode & 0o022) === 0) settledBySh.set(path, st);
  return st;
}

/**
 * Checks the control folder as it is now (before each connection: a folder fine at the start of a run
 * can be swapped later): every folder up the path as OpenSSH checks its own files (misc.c
 * `safe_path`): owned by root or us, not writable by group or others (above the parent, a sticky
 * folder such as /tmp passes: nobody else can rename what is ours in it), both as written and as
 * symbolic links resolve it; then the folder itself: ours, real, 0700. Throws naming the first problem.
 */
export async function checkControlDir(dir: string, uid = Deno.uid()): Promise<void> {
  const refuse = (why: string) => new Error(`refusing ${dir} as the SSH control folder: ${why}`);
  const parent = dirname(dir);
  for (const start of [parent, await Deno.realPath(parent).catch(() => parent)]) {
    for (let d = start;; d = dirname(d)) {
      const st = await lstatOwner(d);
      if (!st) throw refuse(`${d} does not exist`);
      if (st.uid !== uid && st.uid !== 0) throw refuse(`${d} is owned by uid ${st.uid}, neither root nor us`);
      const mode = st.mode ?? 0;
      // Whoever can write the parent can swap our folder for theirs between two runs.
      if (!st.isSymlink && (mode & 0o022) !== 0 && (d === parent || (mode & 0o1000) === 0)) {
        throw refuse(`${d} is writable by other users`);
      }
      if (d === "/") break;
    }
  }
  const problem = privateDirProblem(await Deno.lstat(dir).catch(() => null), uid);
  if (problem) throw refuse(`${problem}; remove it or fix it by hand`);
}

/** Local Docker sockets this process has opened, numbering their paths (two runs on one host never share one). */
let dockerSockets = 0;

// Runs as root on the host for each Docker connection: the engine's API on stdin/stdout.
const DOCKER_DIAL = "exec docker system dial-stdio";

/** Our local Docker socket: its listener, and the dial-stdio sessions carrying its connections. */
interface DockerDial {
  path: string;
  listener: Deno.Listener;
  sessions: Set<Deno.ChildProcess>;
  /** Each connection's carrying, done once its session ended and its stderr was read. */
  carried: Set<Promise<void>>;
  /** stderr of the last session that said something (sudo's refusal, a missing docker CLI). */
  lastError: string;
}

/** The body of the engine's `GET /_ping` through a unix socket: "OK" from a live Docker engine. */
export async function dockerPing(socket: string, timeoutMs = 15_000): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    await conn.write(new TextEncoder().encode("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"));
    const text = await new Response(conn.readable).text();
    return text.split("\r\n\r\n").slice(1).join("").trim();
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the end of its stream */ }
  }
}

/**
 * The ProxyCommand that reaches a host through `jump` (ProxyJump's form: `[user@]host[:port]`, hops
 * separated by commas, first hop first), in place of `ssh -J`. OpenSSH builds the `-J` hop's ssh with
 * only `-l -p -J -F -v` (ssh.c, the ProxyJump branch of main()), so our BatchMode and ConnectTimeout never
 * reach the bastion: a password prompt there would hang each run. Here every hop gets both, and the
 * inventory's ssh_config (`-F`). ssh runs the command with /bin/sh after expanding `%` tokens, so values
 * are quoted for sh and their `%` doubled; a hop before the last one is the hop's own ProxyCommand,
 * whose `%` are doubled once more so that its `%h %p` are the next hop's.
 */
export function jumpProxyCommand(jump: string, connectTimeout: number, configFile?: string): string {
  const hops = jump.split(",");
  const last = hops.pop()!;
  const pct = (v: string) => v.replaceAll("%", "%%");
  const at = last.lastIndexOf("@");
  const user = at >= 0 ? last.slice(0, at) : "";
  let host = at >= 0 ? last.slice(at + 1) : last;
  let port = "";
  // One colon: host:port. More (a bare IPv6 address) is a host, as ssh reads it.
  const colon = host.split(":");
  if (colon.length === 2 && /^\d+$/.test(colon[1])) [host, port] = colon;
  const args = ["ssh", "-o", "BatchMode=yes", "-o", `ConnectTimeout=${connectTimeout}`];
  if (configFile) args.push("-F", quote(pct(configFile)));
  if (user) args.push("-l", quote(pct(user)));
  if (port) args.push("-p", port);
  if (hops.length) {
    args.push(
      "-o",
      quote(`ProxyCommand=${pct(jumpProxyCommand(hops.join(","), connectTimeout, configFile))}`),
    );
  }
  // Brackets, as ssh's own -J writes it, so an IPv6 target address stays one host.
  args.push("-W", "'[%h]:%p'", quote(pct(host)));
  return args.join(" ");
}

/** Where ssh connects: the host name it resolved, and whether a ProxyJump or ProxyCommand carries it. */
export interface SshRoute {
  hostname: string;
  proxied: boolean;
}

/**
 * `ssh -G`'s output read: its `hostname`, and a `proxyjump` or `proxycommand` other than `none` (OpenSSH
 * prints neither when the connection is direct).
 */
export function parseSshRoute(sshG: string): SshRoute {
  const keys = new Map(
    sshG.split("\n").map((l) => l.trim().split(/\s+/, 2)).filter((kv) => kv.length === 2).map((
      [k, v],
    ) => [k.toLowerCase(), v]),
  );
  return {
    hostname: keys.get("hostname") ?? "",
    proxied: ["proxyjump", "proxycommand"].some((k) => keys.has(k) && keys.get(k) !== "none"),
  };
}

/** Runs commands on one host through the system `ssh`, over one multiplexed (ControlMaster) connection. */
export class Ssh {
  readonly #debug: (line: string) => void;
  readonly #connectTimeout: number;
  #controlDir: string | undefined;
  #docker: DockerDial | undefined;
  #dirChecked: Promise<void> | undefined;
  #route: Promise<SshRoute> | undefined;

  constructor(readonly host: Host, opts: SshOptions = {}) {
    this.#debug = opts.debug ?? (() => {});
    this.#connectTimeout = opts.connectTimeout ?? 10;
    // Resolved on first use, so a refused default surfaces as this host's error, not the constructor's.
    this.#controlDir = opts.controlDir;
  }

  /** The `ssh` options that every call shares (the first call starts the master, later ones reuse it). */
  sshArgs(): string[] {
    const s = this.host.ssh;
    const args: string[] = [];
    if (s.configFile) args.push("-F", s.configFile);
    args.push(
      "-o",
      "BatchMode=yes",
      "-o",
      `ConnectTimeout=${this.#connectTimeout}`,
      "-o",
      "ControlMaster=auto",
      "-o",
      `ControlPath=${this.controlDir}/%C`,
      "-o",
      "ControlPersist=60",
      "-o",
      "ServerAliveInterval=10",
      "-o",
      "ServerAliveCountMax=3",
      "-o",
      "StreamLocalBindUnlink=yes",
    ); // deno-fmt-ignore
    if (s.user) args.push("-l", s.user);
    if (s.port) args.push("-p", String(s.port));
    if (s.jump) {
      args.push("-o", `ProxyCommand=${jumpProxyCommand(s.jump, this.#connectTimeout, s.configFile)}`);
    }
    return args;
  }

  /** The folder of our sockets. */
  get controlDir(): string {
    return (this.#controlDir ??= defaultControlDir());
  }

  /** Creates the control folder once per instance, and checks it again before each connection. */
  async #checkDir(): Promise<void> {
    if (!this.#dirChecked) return await (this.#dirChecked = ensureControlDir(this.controlDir));
    await this.#dirChecked;
    await checkControlDir(this.controlDir);
  }

  /** Opens the master connection; throws UnreachableError with ssh's own message when it can't. */
  async open(): Promise<void> {
    await this.#checkDir();
    try {
      await this.run("true");
    } catch (e) {
      if (!(e instanceof UnreachableError)) throw e;
      // A master left from an earlier run can be stale (the host rebooted, the network blinked):
      // drop it and connect afresh once before calling the host unreachable.
      await this.exit();
      await this.run("true");
    }
  }

  /**
   * Runs a POSIX sh script as root on the host. The script travels on stdin, never in argv, so
   * neither local `ps` nor the remote one shows its content. Throws RemoteError on a non-zero exit
   * unless `check` is false, and UnreachableError when ssh itself fails (exit 255).
   */
  async run(
    script: string,
    opts: { check?: boolean; log?: string; timeoutMs?: number } = {},
  ): Promise<RemoteResult> {
    await this.#checkDir();
    this.#debug(`$ ${opts.log ?? script.trim()}`);
    let cmd = $`ssh ${this.sshArgs()} -- ${this.host.ssh.address} ${ROOT_SHELL}`
      .stdinText(script)
      .stdout("piped")
      .stderr("piped")
      .noThrow();
    if (opts.timeoutMs) cmd = cmd.timeout(opts.timeoutMs);
    const r = await cmd;
    const { reached, stderr } = shellReached(r.stderr);
    const result = { code: r.code, stdout: r.stdout, stderr };
    // 255 after the mark: the connection dropped while our command ran (the host went away).
    if (!reached || r.code === 255) {
      throw new UnreachableError(`${this.host.name}: ${unreachableReason(stderr)}`);
    }
    if (r.code !== 0 && opts.check !== false) {
      const first = (opts.log ?? script.trim()).split("\n")[0];
      throw RemoteError.of(first, r.code, stderr);
    }
    return result;
  }

  /** Reads a file as root; null when it does not exist. */
  async readFile(path: string): Promise<string | null> {
    const r = await this.run(`if [ -f ${quote(path)} ]; then echo Y; cat ${quote(path)}; else echo N; fi`, {
      log: `read ${path}`,
    });
    return r.stdout.startsWith("Y\n") ? r.stdout.slice(2) : null;
  }

  /**
   * Writes a file atomically (temp file in the same folder, then rename), creating its folder.
   * The content travels base64-encoded inside the script on stdin, and is never logged.
   */
  async writeFile(
    path: string,
    content: string | Uint8Array,
    opts: { mode: number; owner?: string },
  ): Promise<void> {
    await this.run(writeFileScript(path, content, opts), {
      log: `write ${path} (mode ${opts.mode.toString(8)}${opts.owner ? `, owner ${opts.owner}` : ""})`,
    });
  }

  /**
   * A local unix socket (in our private control folder) whose every connection reaches the host's Docker
   * engine as root: each one is a session on the same master running `docker system dial-stdio` (what the
   * Docker CLI runs for `ssh://` hosts: docker/cli cli/connhelper; a hidden command since Docker 18.09, run
   * here on Debian's docker.io 20.10 and docker-ce's CLI alike) through sudo when we don't log in as root. So ~/.ssh/config,
   * ProxyJump and agents apply to Docker traffic too, and the login user needs no `docker` group: an
   * `ssh -O forward` of /var/run/docker.sock would be opened by sshd as the login user, who on a fresh
   * host is in no such group (and a ControlMaster keeps the group list it started with). The first use
   * checks the engine answers through it (`GET /_ping`), so a refused sudo or a missing engine is named
   * here rather than surfacing as a reset socket in the Docker client.
   */
  async dockerSocketPath(): Promise<string> {
    if (this.#docker) return this.#docker.path;
    await this.#checkDir();
    const id = createHash("sha256").update(`${this.host.name}\0${this.host.ssh.address}`).digest("hex").slice(
      0,
      12,
    );
    const path = `${this.controlDir}/docker-${id}-${Deno.pid}-${++dockerSockets}.sock`;
    await Deno.remove(path).catch(() => {});
    this.#debug(`$ docker system dial-stdio (as root, one session on the master per connection) at ${path}`);
    const listener = Deno.listen({ transport: "unix", path });
    const dial: DockerDial = { path, listener, sessions: new Set(), carried: new Set(), lastError: "" };
    this.#docker = dial;
    (async () => {
      try {
        for await (const conn of listener) {
          const carried = this.#dialOne(dial, conn).catch(() => conn.close());
          dial.carried.add(carried);
          carried.finally(() => dial.carried.delete(carried));
        }
      } catch { /* closed */ }
    })();
    const answer = await dockerPing(path).catch((e) => `(${e instanceof Error ? e.message : e})`);
    if (answer !== "OK") {
      // The refused session's stderr (sudo's words) is what names the problem: let it finish, briefly.
      let waited: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.all(dial.carried), new Promise((r) => waited = setTimeout(r, 3000))]);
      clearTimeout(waited);
      await this.close();
      throw new RemoteError(
        `the host's Docker engine does not answer as root through \`docker system dial-stdio\`: ${
          dial.lastError.trim() || answer || "no answer"
        }`,
        1,
        dial.lastError,
      );
    }
    return path;
  }

  /** Carries one connection of the local Docker socket over its own session of the master. */
  async #dialOne(dial: DockerDial, conn: Deno.Conn): Promise<void> {
    const child = await this.spawnRoot(DOCKER_DIAL);
    dial.sessions.add(child);
    conn.readable.pipeTo(child.stdin).catch(() => {});
    child.stdout.pipeTo(conn.writable).catch(() => {});
    const [err] = await Promise.all([
      new Response(child.stderr).text().catch(() => ""),
      child.status.catch(() => {}),
    ]);
    if (err.trim()) dial.lastError = err;
    dial.sessions.delete(child);
  }

  /**
   * Lets go of our Docker socket: no new connection, and the sessions still open end. The master itself
   * stays up to ControlPersist (60 s idle), shared by every run on this controller as Ansible's is: the
   * next task reuses it instead of reconnecting, and a concurrent run (a verify during a deploy) never loses
   * its sessions to our exit.
   */
  async close(): Promise<void> {
    const dial = this.#docker;
    if (!dial) return;
    this.#docker = undefined;
    try {
      dial.listener.close();
    } catch { /* already closed */ }
    for (const child of dial.sessions) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
    }
    await Promise.all([...dial.sessions].map((c) => c.status.catch(() => {})));
    await Deno.remove(dial.path).catch(() => {});
  }

  /**
   * Starts `script` as root in a session of its own on the shared master, its stdio piped: the
   * script's stdin is its own input, held open as long as the caller wants (the host lock lives as
   * long as this session), so the script travels in argv, quoted.
   */
  async spawnRoot(script: string): Promise<Deno.ChildProcess> {
    await this.#checkDir();
    return new Deno.Command("ssh", {
      args: [...this.sshArgs(), "--", this.host.ssh.address, asRoot(`-c ${quote(script)}`)],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  }

  /**
   * Where ssh really connects, as ssh itself reads this host's configuration (`ssh -G`: the inventory's
   * ssh_config, the user's, our options; nothing is connected), an alias resolved. Asked once.
   */
  route(): Promise<SshRoute> {
    return this.#route ??= $`ssh -G ${this.sshArgs()} -- ${this.host.ssh.address}`.quiet().text().then(
      parseSshRoute,
    );
  }

  /** Stops the shared master connection now (tests and `lab down` use it). */
  async exit(): Promise<void> {
    await $`ssh ${this.sshArgs()} -O exit -- ${this.host.ssh.address}`.quiet().noThrow();
  }
}
