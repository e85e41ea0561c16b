/**
 * The image deliveries of one host in one run, each started once: early, by the prefetch the runner
 * starts as soon as the engine answers (so the images travel while the firewall, Apache and the other
 * steps run), or when the container step's image change applies. The change then joins the delivery
 * under way instead of starting another; its progress lines, kept meanwhile, are shown then, under the
 * step they belong to, so the output reads as if the delivery had run in its place.
 */
import type { ImageTransfer } from "../engine/report.ts";

/** Performs one delivery, reporting progress lines; a push returns what travelled. */
export type Delivery = (line: (l: string) => void) => Promise<ImageTransfer | void>;

/**
 * How deliveries are scheduled: pulls side by side, pushes one after another; `cache` (an archive sent
 * to the host's cache, loaded once the engine answers) orders its own uploads and loads in parallel.
 */
export type Mode = "pull" | "push" | "cache";

interface Job {
  done?: Promise<ImageTransfer | void>;
  /** Lines said before anyone showed them. */
  kept: string[];
  /** Where lines go once the change has joined. */
  sink?: (l: string) => void;
}

/** A host's deliveries: pulls run side by side (dockerd shares a layer two pulls need), pushes one after another. */
export class ImageDeliveries {
  readonly #jobs = new Map<string, Job>();
  // Pushes go one at a time: the next one reads the host's layers after the previous one loaded, so a
  // base layer two images share travels once (see layer_tar.ts).
  #pushes: Promise<unknown> = Promise.resolve();

  #run(mode: Mode, run: Delivery, job: Job): Promise<ImageTransfer | void> {
    const line = (l: string) => job.sink ? job.sink(l) : job.kept.push(l);
    if (mode !== "push") return run(line);
    const done = this.#pushes.then(() => run(line));
    this.#pushes = done.catch(() => {});
    return done;
  }

  /** True when `ref`'s delivery has started in this run. */
  started(ref: string): boolean {
    return this.#jobs.has(ref);
  }

  /** Starts delivering `ref` in the background; its lines are kept until `deliver` joins it. */
  start(ref: string, mode: Mode, run: Delivery): void {
    if (this.#jobs.has(ref)) return;
    // One object for the whole delivery: its line function reads `sink` once the change has joined.
    const job: Job = { kept: [] };
    job.done = this.#run(mode, run, job);
    // Its failure is the image change's to report, when the step reaches it; never an unhandled rejection.
    job.done.catch(() => {});
    this.#jobs.set(ref, job);
  }

  /** Delivers `ref`: joins the delivery under way (its kept lines first), or runs one now. */
  deliver(
    ref: string,
    mode: "pull" | "push",
    run: Delivery,
    progress: (l: string) => void,
  ): Promise<ImageTransfer | void> {
    const job = this.#jobs.get(ref);
    if (!job) {
      const now: Job = { kept: [], sink: progress };
      now.done = this.#run(mode, run, now);
      this.#jobs.set(ref, now);
      return now.done;
    }
    for (const l of job.kept.splice(0)) progress(l);
    job.sink = progress;
    return job.done!;
  }

  /** Waits for every delivery started to end, whatever its outcome: none outlives the host's session. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#jobs.values()].map((j) => j.done));
  }
}
