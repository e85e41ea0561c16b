/**
 * Validate-then-replace for a mounted file: the candidate is written next to the file, checked (by
 * promtool, in a one-shot container of the image), and renamed over the file only when it passes.
 */
import type Docker from "dockerode";
import { type Change, changeText } from "../engine/change.ts";
import { fileChange, type FileOptions } from "../engine/file_change.ts";
import type { Ssh } from "../transport/ssh.ts";
import { MANAGED_LABEL } from "../base/names.ts";
import { exec } from "../transport/exec.ts";
import { candidateOf, commitCandidate, dropCandidate } from "../commands/validated.ts";

/**
 * Like `fileChange`, but the new content is first written next to the file as a candidate and
 * checked by `validate`; only a candidate that passes is renamed over the file, so a rejected
 * config is never put in place.
 */
export function validatedFileChange(
  ssh: Ssh,
  path: string,
  current: string | null,
  desired: string,
  opts: FileOptions,
  validate: (candidatePath: string) => Promise<void>,
): Change | null {
  const base = fileChange(ssh, path, current, desired, opts);
  // Same content, only mode or owner drifted: nothing new to validate.
  if (!base || current === desired) return base;
  const candidate = candidateOf(path);
  return {
    ...changeText(base),
    apply: async () => {
      await ssh.writeFile(candidate, desired, { mode: opts.mode, owner: opts.owner });
      try {
        await validate(candidate);
      } catch (e) {
        await exec(ssh, dropCandidate(path), { check: false });
        throw e;
      }
      await exec(ssh, commitCandidate(path));
      await opts.after?.();
    },
  };
}

/**
 * Runs a one-shot container (no network, read-only, no capabilities) as `user` and returns its exit
 * code and output.
 */
export async function runOneShot(
  docker: Docker,
  image: string,
  entrypoint: string[],
  args: string[],
  mounts: Docker.MountSettings[],
  user = "0:0",
): Promise<{ code: number; output: string }> {
  // A run stopped during a check (Ctrl-C, lost connection) never reached the `finally` below and
  // left its one-shot container; one-shots only run under the host lock, so any found now is stale.
  const stale = await docker.listContainers({
    all: true,
    filters: { name: ["isa-oneshot-"], label: [`${MANAGED_LABEL}=true`] },
  });
  for (const o of stale) await docker.getContainer(o.Id).remove({ force: true }).catch(() => {});
  const c = await docker.createContainer({
    name: `isa-oneshot-${crypto.randomUUID().slice(0, 8)}`,
    Image: image,
    Entrypoint: entrypoint,
    Cmd: args,
    User: user,
    // A TTY gives plain logs (no stdout/stderr multiplexing headers).
    Tty: true,
    Labels: { [MANAGED_LABEL]: "true" },
    HostConfig: {
      Mounts: mounts,
      NetworkMode: "none",
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
    },
  });
  try {
    await c.start();
    const res = await c.wait();
    const logs = await c.logs({ stdout: true, stderr: true, follow: false });
    return { code: res.StatusCode, output: logs.toString().replaceAll("\r\n", "\n").trim() };
  } finally {
    await c.remove({ force: true }).catch(() => {});
  }
}

/**
 * A validator for `validatedFileChange` that runs `promtool <args…> <candidate>` through the Prometheus
 * image, as `user`: the one Prometheus runs as, owner of the 0600 files promtool reads.
 */
export function promtoolValidator(
  docker: () => Promise<Docker>,
  image: string,
  args: string[],
  mounts: Docker.MountSettings[],
  toContainerPath: (hostPath: string) => string,
  user = "0:0",
): (candidate: string) => Promise<void> {
  return async (candidate) => {
    const r = await runOneShot(
      await docker(),
      image,
      ["/bin/promtool"],
      [
        ...args,
        toContainerPath(candidate),
      ],
      mounts,
      user,
    );
    if (r.code !== 0) {
      throw new Error(`promtool ${args.join(" ")} rejected the new file (left unchanged):\n${r.output}`);
    }
  };
}
