/**
 * What the selected steps read from a host to plan, asked in the run's one batched probe (with the
 * facts): files, folders, the engine's objects and a step's own shell sections.
 */
import {
  type DockerNeeds,
  dockerNeedsRequests,
  DockerSnapshot,
  parseDockerNeeds,
} from "./docker_snapshot.ts";
import { type FileNeeds, fileNeedsScript, type HostProbe, parseFileNeeds } from "./files_probe.ts";

/** A step's reads. */
export interface ProbeNeeds extends FileNeeds {
  /** Shell printing `@@name` sections of its own (names must not clash with other sections). */
  scripts?: string[];
  docker?: DockerNeeds;
  /** Ask the package manager (installed Docker package, podman/buildah/runc) even once Docker is installed. */
  packages?: boolean;
}

/** What the batched probe found beyond the facts. */
export interface Probed extends HostProbe {
  /** Every section of the probe's output, for the steps' own scripts. */
  sections: Map<string, string[]>;
  docker: DockerSnapshot;
}

const uniq = (lists: (string[] | undefined)[]) => [...new Set(lists.flatMap((l) => l ?? []))];

/** The union of several steps' needs (each path, name or script once). */
export function mergeNeeds(all: ProbeNeeds[]): ProbeNeeds {
  return {
    packages: all.some((n) => n.packages),
    files: uniq(all.map((n) => n.files)),
    dirs: uniq(all.map((n) => n.dirs)),
    stats: uniq(all.map((n) => n.stats)),
    scripts: uniq(all.map((n) => n.scripts)),
    docker: {
      containers: uniq(all.map((n) => n.docker?.containers)),
      images: uniq(all.map((n) => n.docker?.images)),
    },
  };
}

/** Shell for the needs, to run inside the facts probe (its `isa_file` and `isa_sec` functions). */
export function needsScript(needs: ProbeNeeds): string {
  return fileNeedsScript(needs) + (needs.scripts ?? []).join("\n") + "\n";
}

/** The engine API requests of the needs, (section, path), sent with the facts' own in one curl. */
export function needsApiRequests(needs: ProbeNeeds): [string, string][] {
  return dockerNeedsRequests(needs.docker ?? {});
}

/** The needs' answers from the probe's sections. */
export function parseNeeds(s: Map<string, string[]>, needs: ProbeNeeds): Probed {
  return { ...parseFileNeeds(s, needs), sections: s, docker: parseDockerNeeds(s, needs.docker ?? {}) };
}

/** Nothing probed: every file, folder and engine object reads as absent (unit tests, first contact). */
export function blankProbed(): Probed {
  return {
    files: {},
    fileStats: {},
    dirs: {},
    stats: {},
    sections: new Map(),
    docker: DockerSnapshot.blank(),
  };
}
