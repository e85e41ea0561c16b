/** Container specifications: the shape shared by our three containers, and the spec hash. */
import { createHash } from "node:crypto";
import type Docker from "dockerode";
import type { ContainerLimits, Vars } from "../inventory/vars.ts";
import type { ReadinessProbe } from "../commands/readiness.ts";
import { MANAGED_LABEL, SPEC_HASH_LABEL } from "../base/names.ts";

/** Everything needed to create one container, plus the host files whose contents it depends on. */
export interface ContainerSpec {
  /** Container name, also its DNS name on the Docker network. */
  name: string;
  /** Pinned image reference. */
  image: string;
  /** The dockerode create options (without the spec-hash label, which is added at creation). */
  create: Docker.ContainerCreateOptions;
  /** Host paths of the mounted configuration files whose contents enter the spec hash. */
  files: string[];
  /** How to tell that it serves, after a create, recreate or start (not part of the hash). */
  ready?: ReadinessProbe;
}

/** Sorts object keys recursively so that equal specifications serialize identically. */
export function canonicalJson(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => [k, norm(o[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(norm(value));
}

function sha256(data: string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * sha256 of the whole create specification and of the contents of the files it mounts (null = absent).
 * Any change to either gives a new hash, so the container is recreated even when the file was
 * written by an earlier run that died before recreating it.
 */
export function specHash(spec: ContainerSpec, fileContents: Record<string, string | null>): string {
  // Only what the container is made of: not `ready`, which only says how to wait for it.
  const create = structuredClone(spec.create);
  if (create.Labels) delete create.Labels[SPEC_HASH_LABEL];
  // Only the listed files count: an unrelated entry in the map must not change the hash.
  const files = [...spec.files].sort().map((p) => {
    const c = fileContents[p];
    if (c === undefined) throw new Error(`specHash: no content given for ${p}`);
    return [p, c === null ? "absent" : sha256(c)];
  });
  return sha256(canonicalJson({ v: 1, name: spec.name, image: spec.image, create, files }));
}

/** Options every container of ours shares: network, restart, log rotation, limits, hardening. */
export function baseCreate(
  name: string,
  image: string,
  vars: Pick<Vars, "docker_network">,
  limits: ContainerLimits,
): Docker.ContainerCreateOptions {
  return {
    name,
    Image: image,
    Labels: { [MANAGED_LABEL]: "true" },
    HostConfig: {
      NetworkMode: vars.docker_network,
      RestartPolicy: { Name: "unless-stopped" },
      LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } },
      Memory: Math.round(limits.memory_mb * 1024 * 1024),
      // Same as Memory: no swap on top of the limit, so the limit means what it says.
      MemorySwap: Math.round(limits.memory_mb * 1024 * 1024),
      NanoCpus: Math.round(limits.cpus * 1e9),
      PidsLimit: 256,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      ReadonlyRootfs: true,
    },
    // The container name is resolvable on the user-defined network by default; the alias says it.
    NetworkingConfig: { EndpointsConfig: { [vars.docker_network]: { Aliases: [name] } } },
  };
}
