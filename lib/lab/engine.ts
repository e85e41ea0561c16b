/** The controller's Docker engine: a dockerode client, and starting the engine when it is not running. */
// @ts-types="@types/dockerode"
import Docker from "dockerode";
import $ from "dax";
import { LAB_DIR, labFiles } from "./layout.ts";
import { osFamily, parseOsRelease } from "../facts/os.ts";

/** Socket of the controller's engine. */
export const DOCKER_SOCKET = "/var/run/docker.sock";

let client: Docker | undefined;

/** dockerode client on the controller's engine (one per process). */
export function docker(): Docker {
  client ??= new Docker({ socketPath: DOCKER_SOCKET });
  return client;
}

/** Whether `docker info` succeeds. */
export async function engineUp(): Promise<boolean> {
  return (await $`docker info`.quiet().noThrow()).code === 0;
}

/** Whether the controller is Debian or Ubuntu (by /etc/os-release). */
async function isDebianLike(): Promise<boolean> {
  const os = parseOsRelease(await Deno.readTextFile("/etc/os-release").catch(() => ""));
  return osFamily(os.ID ?? "", (os.ID_LIKE ?? "").split(/\s+/).filter(Boolean)) === "debian";
}

/**
 * Makes sure the controller's Docker engine answers: when it does not and we are root on Debian/Ubuntu,
 * starts `dockerd` in the background (log in .lab/dockerd.log).
 */
export async function ensureEngine(log: (line: string) => void): Promise<void> {
  if (await engineUp()) return;
  const root = Deno.uid() === 0;
  if (!root || !(await isDebianLike())) {
    throw new Error(
      "the Docker engine does not answer (`docker info` fails). Start it (e.g. `sudo dockerd &`) and retry; " +
        "`deno task lab up` starts it by itself only when run as root on Debian/Ubuntu.",
    );
  }
  await Deno.mkdir(LAB_DIR, { recursive: true });
  log(`engine: starting dockerd in the background (log: ${labFiles.dockerdLog})`);
  // Descriptors above 2 are closed first: a caller's `flock` lock fd (tests and helpers serialise lab
  // use with flock) would otherwise be inherited by dockerd and held for as long as the engine runs.
  const closeFds =
    `for f in /proc/$$/fd/*; do n=\${f##*/}; [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-"; done`;
  // bash: dash takes only one-digit descriptors in a redirection.
  await $`bash -c ${`${closeFds}; setsid nohup dockerd >>'${labFiles.dockerdLog}' 2>&1 </dev/null &`}`;
  const deadline = Date.now() + 60_000;
  while (!(await engineUp())) {
    if (Date.now() > deadline) {
      const tail = await $`tail -n 20 ${labFiles.dockerdLog}`.noThrow().text();
      throw new Error(`dockerd did not answer within 60 s; last lines of its log:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  log("engine: dockerd is up");
}

/** Waits for the end of a dockerode progress stream (pull, import, build); rejects on an error event. */
export function followProgress(stream: NodeJS.ReadableStream): Promise<unknown[]> {
  return new Promise((resolve, reject) =>
    docker().modem.followProgress(
      stream,
      (err: Error | null, res: unknown[]) => err ? reject(err) : resolve(res),
    )
  );
}

/** Output and exit code of a one-off container. */
export interface RunResult {
  code: number;
  output: string;
}

/** Runs `image` once with `args` (like `docker run --rm`), returns its exit code and merged output. */
export async function runOnce(image: string, args: string[]): Promise<RunResult> {
  const c = await docker().createContainer({ Image: image, Cmd: args, Tty: true });
  try {
    await c.start();
    const { StatusCode } = await c.wait();
    const logs = await c.logs({ stdout: true, stderr: true, follow: false });
    return { code: StatusCode, output: new TextDecoder().decode(logs as unknown as Uint8Array) };
  } finally {
    await c.remove({ force: true });
  }
}

/** Whether an image (by reference) exists in the controller's engine. */
export async function imageExists(ref: string): Promise<boolean> {
  try {
    await docker().getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}
