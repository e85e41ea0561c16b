/**
 * Which production line each lab build stands in for: the pinned references of inventory/defaults.yml,
 * the check that a lab build is of the same line (major.minor for Prometheus, major for the exporter),
 * and the production names the lab tags its builds with.
 */
import { join } from "node:path";
import { parse } from "yaml";
// @ts-types="@types/dockerode"
import type Docker from "dockerode";
import { buildVersion, type LabImages } from "./app_images.ts";
import { docker } from "./engine.ts";
import { PROJECT_ROOT } from "./layout.ts";

/** The pinned image references of inventory/defaults.yml. */
export async function pinnedImages(): Promise<Record<"prometheus" | "apache_exporter" | "traefik", string>> {
  return parse(await Deno.readTextFile(join(PROJECT_ROOT, "inventory", "defaults.yml"))).images;
}

/** How many version parts make a line: Prometheus' LTS lines are major.minor, the exporter's major. */
export const LINE_PARTS = { prometheus: 2, apache_exporter: 1 } as const;

/** The first `parts` parts of a version (`v3.5.5`, 2 → `3.5`). */
export function lineOf(version: string, parts: number): string {
  const m = /^v?(\d+(?:\.\d+)*)/.exec(version);
  if (!m) throw new Error(`not a version: ${version}`);
  return m[1].split(".").slice(0, parts).join(".");
}

/**
 * Why a lab build of `version` can't stand in for `pinned` (a reference `repo:vX.Y.Z`), or undefined when
 * it is of the same line.
 */
export function lineMismatch(
  what: keyof typeof LINE_PARTS,
  version: string,
  pinned: string,
  parts: number = LINE_PARTS[what],
): string | undefined {
  const tag = pinned.slice(pinned.lastIndexOf(":") + 1);
  const lab = lineOf(version, parts);
  const prod = lineOf(tag, parts);
  return lab === prod
    ? undefined
    : `the lab's ${what} is ${version} (line ${lab}), production pins ${pinned} ` +
      `(line ${prod}, inventory/defaults.yml): the lab no longer runs what production runs`;
}

/** The production names of the lab's builds, checked against the pinned lines; throws on a mismatch. */
export async function productionNames(builds: LabImages): Promise<LabImages> {
  const pinned = await pinnedImages();
  const versions = {
    prometheus: await buildVersion(builds.prometheus),
    apache_exporter: await buildVersion(builds.apache_exporter),
    oldest: await buildVersion(builds.prometheus_oldest),
  };
  for (const what of ["prometheus", "apache_exporter"] as const) {
    const why = lineMismatch(what, versions[what], pinned[what]);
    if (why) throw new Error(why);
  }
  const repo = (ref: string) => ref.slice(0, ref.lastIndexOf(":"));
  return {
    prometheus: pinned.prometheus,
    apache_exporter: pinned.apache_exporter,
    // The previous LTS line has no pin: it goes by its own version, in the pinned repository.
    prometheus_oldest: `${repo(pinned.prometheus)}:v${versions.oldest}`,
  };
}

/** Tags each lab build in the controller's engine with its production name (for `push` and the registry). */
export async function tagProductionNames(builds: LabImages, names: LabImages): Promise<void> {
  const d: Docker = docker();
  for (const key of Object.keys(builds) as (keyof LabImages)[]) {
    const ref = names[key];
    const colon = ref.lastIndexOf(":");
    const want = (await d.getImage(builds[key]).inspect()).Id;
    const have = await d.getImage(ref).inspect().then((i) => i.Id, () => undefined);
    if (have !== want) {
      await d.getImage(builds[key]).tag({ repo: ref.slice(0, colon), tag: ref.slice(colon + 1) });
    }
  }
}
