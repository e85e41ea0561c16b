/**
 * What every container step does with its host context: the engine as probed, the network and image
 * first, then the container whose mounted files keep their previous copies.
 */
import type { Change } from "../engine/change.ts";
import type { HostContext } from "./step.ts";
import type { DockerSnapshot } from "../facts/docker_snapshot.ts";
import { imageChange } from "../containers/image_delivery.ts";
import { containerChange, type DesiredFiles, networkChange } from "../containers/changes.ts";
import type { ContainerSpec } from "../containers/spec.ts";
import { keptCopies } from "../containers/previous_files.ts";

/**
 * The engine as the batched probe found it, or null under --check when the engine isn't running yet
 * (the Docker step would start it): the plan then assumes an empty engine.
 */
export function dockerFor(ctx: HostContext): DockerSnapshot | null {
  if (ctx.facts.docker.running) return ctx.probed.docker;
  if (ctx.opts.check) return null;
  throw new Error("Docker is not running on this host: run `deno task docker` first");
}

/** The change that delivers `ref` per `vars.image_delivery`; under --check with no engine yet, assumed needed. */
export function imageChangeFor(
  ctx: HostContext,
  snap: DockerSnapshot | null,
  ref: string,
): Change | null {
  return imageChange(
    snap?.hasImage(ref) ?? false,
    ctx.docker,
    ref,
    ctx.host.vars.image_delivery,
    ctx.progress,
  );
}

/** The first changes of every container step: our Docker network, then the container's image. */
export function networkAndImage(
  ctx: HostContext,
  snap: DockerSnapshot | null,
  image: string,
): (Change | null)[] {
  return [
    networkChange(ctx.facts, ctx.host.vars.docker_network, ctx.docker),
    imageChangeFor(ctx, snap, image),
  ];
}

/**
 * The container change of a step whose mounted files keep their previous copies (`kept`) until the new
 * container is ready; copies a dead run left behind (found by the step's probe) are taken up again.
 */
export function keptContainerChange(
  ctx: HostContext,
  snap: DockerSnapshot | null,
  spec: ContainerSpec,
  desired: DesiredFiles,
  kept: string[],
  found: Record<string, string | null | undefined>,
): Change | null {
  return containerChange(snap, ctx.docker, ctx.ssh, spec, desired, {
    progress: ctx.progress,
    kept,
    leftover: keptCopies(kept, found),
  });
}
