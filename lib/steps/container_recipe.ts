/**
 * The recipe of the container steps (Prometheus, Traefik, the exporter): the engine as probed, the
 * network and image first, their files, then the container whose mounted files keep their previous copies.
 */
import type { Change } from "../engine/change.ts";
import type { HostContext, Step } from "./step.ts";
import type { Delivery } from "../containers/deliveries.ts";
import type { DockerSnapshot } from "../facts/docker_snapshot.ts";
import {
  delivery,
  type DeliveryOptions,
  imageChange,
  localDocker,
  registryName,
  transferLine,
} from "../containers/image_delivery.ts";
import { cacheImage, loadCached } from "../containers/image_cache.ts";
import { gzipBytesPerSec, isLoopback, linkBytesPerSec, shouldCompress } from "../containers/compression.ts";
import { containerChange, type DesiredFiles, networkChange } from "../containers/container_change.ts";
import type { ContainerSpec } from "../containers/spec.ts";
import { keepingPrevious, keptCopies } from "../containers/previous_files.ts";
import { fileChange, type FileOptions } from "../engine/file_change.ts";
import { removeFile } from "../commands/files.ts";

/**
 * The engine as the batched probe found it, or null under --check when the engine isn't running yet
 * (the Docker step would start it): the plan then assumes an empty engine.
 */
export function dockerFor(ctx: HostContext): DockerSnapshot | null {
  if (ctx.facts.docker.running) return ctx.probed.docker;
  if (ctx.opts.check) return null;
  throw new Error("Docker is not running on this host: run `deno task docker` first");
}

/**
 * How `ref` reaches this host: `vars.image_delivery`, the registry login, the proxy, and for a push
 * whether it is compressed (measured: compression.ts) and where its bytes are recorded.
 */
export function deliveryOptions(ctx: HostContext, ref: string): DeliveryOptions {
  // Where ssh really connects (an ssh_config alias of a loopback address is one): a loopback address not
  // behind a jump host, whose 127.0.0.1 would be its own.
  const loopback = async () => {
    const r = await ctx.ssh.route();
    return !r.proxied && isLoopback(r.hostname);
  };
  return {
    mode: ctx.host.vars.image_delivery,
    progress: ctx.progress,
    auth: async () => (await ctx.secrets()).registries?.[registryName(ref)],
    proxy: ctx.host.vars.proxy?.https ?? ctx.host.vars.proxy?.http,
    link: {
      compress: async () => {
        const local = await loopback();
        return shouldCompress({
          loopback: local,
          linkBytesPerSec: local ? Infinity : await linkBytesPerSec(ctx.ssh),
          gzipBytesPerSec: await gzipBytesPerSec(),
        });
      },
    },
    related: Object.values(ctx.host.vars.images),
    deliveries: ctx.deliveries,
    transferred: (t) => {
      ctx.debug(transferLine(t));
      ctx.transferred?.(t);
    },
  };
}

/** The change that delivers `ref` per `vars.image_delivery`; under --check with no engine yet, assumed needed. */
export function imageChangeFor(
  ctx: HostContext,
  snap: DockerSnapshot | null,
  ref: string,
): Change | null {
  return imageChange(snap?.hasImage(ref) ?? false, ctx.docker, ref, deliveryOptions(ctx, ref));
}

/** The images `steps` run, once each, in step order. */
function stepImages(ctx: HostContext, steps: Step[]): string[] {
  return [...new Set(steps.flatMap((s) => s.needs?.(ctx.host).docker?.images ?? []))];
}

/**
 * With `image_delivery: push` on a host whose engine is not running yet: sends every image of `steps`
 * into the host-side cache while the step that starts the engine runs (one after another: they share
 * the link), each loaded as soon as `engine` resolves (containers/image_cache.ts says why only then).
 * A rejected `engine` (the Docker step failed) ends them unloaded; their change reports it if reached.
 */
export function precacheImages(
  ctx: HostContext,
  steps: Step[],
  engine: Promise<void>,
  io: { cache: typeof cacheImage; load: typeof loadCached; source: typeof localDocker; push?: Delivery } = {
    cache: cacheImage,
    load: loadCached,
    source: localDocker,
  },
): string[] {
  const deliveries = ctx.deliveries;
  if (ctx.opts.check || !deliveries || ctx.host.vars.image_delivery !== "push" || ctx.facts.docker.running) {
    return [];
  }
  const refs = stepImages(ctx, steps);
  engine.catch(() => {}); // the failure is each load's to report, when its change joins it
  let uploads: Promise<unknown> = Promise.resolve();
  for (const ref of refs) {
    const link = deliveryOptions(ctx, ref).link!;
    const cached = uploads.then(async () => io.cache(ctx.ssh, await io.source(), ref, await link.compress()));
    uploads = cached.catch(() => {});
    deliveries.start(ref, "cache", async (line) => {
      const c = await cached.catch((e: Error) => {
        // The cache is only a head start: without it, the image is streamed once the engine answers.
        line(`${ref}: not sent ahead (${e.message}); pushing it once the engine answers`);
        return null;
      });
      await engine;
      if (!c) return await (io.push ?? delivery(ctx.docker, ref, deliveryOptions(ctx, ref)))(line);
      return await io.load(ctx.ssh, await ctx.docker(), c, (l) => line(`${ref}: ${l}`));
    });
  }
  return refs;
}

/**
 * Starts, in the background, the delivery of every image of `steps` the host lacks: called by the runner
 * once the engine answers, so the images travel while the steps before the containers run. Each
 * container step's image change then joins its delivery (deliveries.ts); nothing here prints.
 */
export function prefetchImages(ctx: HostContext, steps: Step[]): string[] {
  const snap = ctx.probed.docker;
  if (ctx.opts.check || !ctx.deliveries || !ctx.facts.docker.running) return [];
  const refs = stepImages(ctx, steps).filter((ref) => !snap.hasImage(ref) && !ctx.deliveries?.started(ref));
  for (const ref of refs) {
    ctx.deliveries.start(
      ref,
      ctx.host.vars.image_delivery,
      delivery(ctx.docker, ref, deliveryOptions(ctx, ref)),
    );
  }
  return refs;
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

/**
 * The recipe both container steps follow, in order: the network and the image, the step's folders and
 * removals, every mounted file (its previous copy kept until the new container is ready, its content
 * entered in the spec hash), then the container.
 */
export class ContainerPlan {
  /** The changes so far, in order; null where nothing was to change. */
  readonly #changes: (Change | null)[] = [];
  /** Desired content of each mounted file, for the container change (spec hash, kept copies). */
  readonly desired: DesiredFiles = {};

  constructor(
    readonly ctx: HostContext,
    readonly spec: ContainerSpec,
    /** The files whose previous content is kept until the new container is ready. */
    readonly kept: string[],
    /** The engine as probed (see dockerFor). */
    readonly docker: DockerSnapshot | null = dockerFor(ctx),
  ) {
    this.#changes.push(...networkAndImage(ctx, docker, spec.image));
  }

  /** Adds changes as they are. */
  push(...changes: (Change | null)[]): void {
    this.#changes.push(...changes);
  }

  /** Adds the change of a mounted file, keeping its previous copy; its content enters the container's hash. */
  keep(path: string, content: string, change: Change | null): void {
    this.desired[path] = content;
    this.#changes.push(keepingPrevious(this.ctx.ssh, change, [path]));
  }

  /** Writes a mounted file with `opts`, keeping its previous copy. */
  file(path: string, content: string, opts: FileOptions): void {
    this.keep(path, content, fileChange(this.ctx.ssh, path, this.ctx.probed.files[path], content, opts));
  }

  /** The mode and owner the probe found on `path` (for `FileOptions.found`). */
  found(path: string): FileOptions["found"] {
    return this.ctx.probed.fileStats[path];
  }

  /** Removes a file the probe found (its previous copy kept, as a mounted file's); nothing when absent. */
  removeIfPresent(path: string, why: string): void {
    const found = this.ctx.probed.files[path];
    if (found === null || found === undefined) return;
    this.#changes.push(keepingPrevious(this.ctx.ssh, {
      summary: `remove ${path} (${why})`,
      command: removeFile(path),
    }, [path]));
  }

  /** The container change last, then every change that is one. */
  finish(): Change[] {
    const { ctx, docker, spec, desired, kept } = this;
    this.#changes.push(keptContainerChange(ctx, docker, spec, desired, kept, ctx.probed.files));
    return this.#changes.filter((c): c is Change => c !== null);
  }
}
