/**
 * The engine's state a plan needs (our containers and images; networks are in the facts), read in the host's batched probe
 * through the engine's API on the host's own socket, so a no-op run never opens the Docker socket
 * forward: dockerode is reached only to apply a change.
 */
import { MANAGED_LABEL, SPEC_HASH_LABEL } from "../base/names.ts";

/** The container as found on the engine. */
export interface ContainerState {
  id: string;
  running: boolean;
  hash: string | null;
  /** It carries our label: isa-monitoring created it. */
  managed: boolean;
}

/** A container with one of our names that isa-monitoring did not create: never touched. */
export class ForeignContainerError extends Error {
  override name = "ForeignContainerError";
  constructor(readonly container: string) {
    super(
      `a container named ${container} exists that isa-monitoring did not create (no ${MANAGED_LABEL} label); ` +
        `it is left alone, and this step stops here: rename or remove it yourself, then run again`,
    );
  }
}

/** What the plan asks of the engine. */
export interface DockerNeeds {
  containers?: string[];
  images?: string[];
}

/** The engine as the probe found it; a name that was not asked for is a programming error. */
export class DockerSnapshot {
  constructor(
    private readonly containers: Map<string, ContainerState | null>,
    private readonly images: Map<string, boolean>,
    /** Answers "absent" for any name (an engine known to be empty): no name needs to be asked. */
    private readonly blank = false,
  ) {}

  /** An engine with nothing in it, whatever is asked. */
  static blank(): DockerSnapshot {
    return new DockerSnapshot(new Map(), new Map(), true);
  }

  private get<T>(map: Map<string, T>, key: string, what: string, absent: T): T {
    if (map.has(key)) return map.get(key)!;
    if (this.blank) return absent;
    throw new Error(`the probe did not ask the engine about ${what} ${key}`);
  }

  /** The container named `name`, or null. */
  container(name: string): ContainerState | null {
    return this.get(this.containers, name, "container", null);
  }

  /** Like `container`, but one with our name and without our label throws ForeignContainerError. */
  ourContainer(name: string): ContainerState | null {
    const state = this.container(name);
    if (state && !state.managed) throw new ForeignContainerError(name);
    return state;
  }

  /** Whether the engine has image `ref`. */
  hasImage(ref: string): boolean {
    return this.get(this.images, ref, "image", false);
  }
}

/**
 * The engine API requests of the probe, as (section, path): all containers in one list call (names,
 * labels and state are all the plan reads of them), then each asked image: its inspect document, or
 * Docker's 404 message when it does not exist. The probe sends them all in one curl (`apiBatch`).
 */
export function dockerNeedsRequests(needs: DockerNeeds): [string, string][] {
  const out: [string, string][] = [];
  if (needs.containers?.length) out.push(["dc-all", "/containers/json?all=1"]);
  (needs.images ?? []).forEach((ref, i) => out.push([`di-${i}`, `/images/${encodeURIComponent(ref)}/json`]));
  return out;
}

function json(lines: string[] | undefined): Record<string, unknown> | null {
  try {
    const v = JSON.parse((lines ?? []).join("\n").trim() || "null");
    return v && typeof v === "object" ? v as Record<string, unknown> : null;
  } catch {
    return null;
  }
}

/**
 * The snapshot from the probe's sections. An object is present when its inspect document has an Id;
 * anything else (404 message, engine down, no answer) reads as absent.
 */
export function parseDockerNeeds(s: Map<string, string[]>, needs: DockerNeeds): DockerSnapshot {
  const containers = new Map<string, ContainerState | null>();
  let listed: unknown = null;
  try {
    listed = JSON.parse((s.get("dc-all") ?? []).join("\n").trim() || "null");
  } catch { /* no engine answer: nothing listed */ }
  const byName = new Map<string, ContainerState>();
  for (const c of Array.isArray(listed) ? listed : []) {
    const { Id, Names, State, Labels } = c as {
      Id?: string;
      Names?: string[];
      State?: string;
      Labels?: Record<string, string> | null;
    };
    if (!Id) continue;
    const labels = Labels ?? {};
    for (const n of Names ?? []) {
      byName.set(n.replace(/^\//, ""), {
        id: Id,
        // As inspect's State.Running: true for a paused or restarting container too.
        running: State === "running" || State === "paused" || State === "restarting",
        hash: labels[SPEC_HASH_LABEL] ?? null,
        managed: labels[MANAGED_LABEL] === "true",
      });
    }
  }
  for (const name of needs.containers ?? []) containers.set(name, byName.get(name) ?? null);
  const images = new Map<string, boolean>();
  (needs.images ?? []).forEach((ref, i) => images.set(ref, Boolean(json(s.get(`di-${i}`))?.Id)));
  return new DockerSnapshot(containers, images);
}
