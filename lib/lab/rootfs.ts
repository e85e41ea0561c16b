/** Root file systems built in a temporary folder and imported as Docker images (`tar | docker import`). */
import { spawn } from "node:child_process";
import $ from "dax";
import { docker, followProgress } from "./engine.ts";

/**
 * Imports the tree under `dir` as image `ref` (`repo:tag`), with Dockerfile instructions `changes`
 * (e.g. `CMD ["/sbin/init"]`), streaming `tar -C dir -c .` into the engine.
 */
export async function importRootfs(dir: string, ref: string, changes: string[]): Promise<void> {
  const colon = ref.lastIndexOf(":");
  const tar = spawn("tar", ["-C", dir, "--numeric-owner", "-c", "."], { stdio: ["ignore", "pipe", "pipe"] });
  let tarErr = "";
  tar.stderr.on("data", (b: Uint8Array) => tarErr += new TextDecoder().decode(b));
  const tarDone = new Promise<number>((resolve) =>
    tar.on("close", (code: number | null) => resolve(code ?? 1))
  );
  const stream = await docker().importImage(tar.stdout, {
    repo: ref.slice(0, colon),
    tag: ref.slice(colon + 1),
    changes,
  });
  await followProgress(stream);
  const code = await tarDone;
  if (code !== 0) throw new Error(`tar of ${dir} failed (${code}): ${tarErr.trim()}`);
}

/** A fresh temporary folder under /var/tmp (not /tmp: it may be a small or nodev tmpfs). */
export function makeWorkDir(prefix: string): Promise<string> {
  return Deno.makeTempDir({ dir: "/var/tmp", prefix });
}

/** Removes a work folder, unmounting first anything left mounted inside it (e.g. by a failed debootstrap). */
export async function removeWorkDir(dir: string): Promise<void> {
  const mounts = (await Deno.readTextFile("/proc/mounts")).split("\n")
    .map((l) => l.split(" ")[1]?.replace(/\\040/g, " "))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(dir + "/")))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await $`umount -l ${m}`.noThrow().quiet();
  await $`/usr/bin/rm -rf --one-file-system ${dir}`.noThrow();
}
