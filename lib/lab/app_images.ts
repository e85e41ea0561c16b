/**
 * Lab stand-ins for the apache_exporter and Prometheus images: the binaries of Debian's packages of the
 * production version lines (sid's Prometheus 3.5 and apache_exporter 1.x; trixie's Prometheus 2.53, the
 * previous LTS line, for its classic UI) in a minimal root file system shaped like the upstream images,
 * then served by the lab registry under the production names (registry.ts).
 */
import { dirname, join, relative, resolve } from "node:path";
import $ from "dax";
import { Buffer } from "node:buffer";
import { docker, imageExists, runOnce } from "./engine.ts";
import { importRootfs, makeWorkDir, removeWorkDir } from "./rootfs.ts";
import { debianMirror } from "./host_image.ts";

/**
 * References of the lab images, as the inventory's `images` var wants them: the production names (the
 * lab registry serves them, and the controller's engine carries the same tags for `push`).
 */
export interface LabImages {
  apache_exporter: string;
  prometheus: string;
  /** Prometheus of the previous LTS line (2.53, classic UI): the one lab host on the oldest line. */
  prometheus_oldest: string;
}

/** Debian suites the lab takes packages from: the controller's own (bookworm), trixie and sid. */
export type Suite = "bookworm" | "trixie" | "sid";

/** An image made from a Debian package's binaries: what to take from the .deb and how the image runs. */
export interface AppSpec {
  /** Short name (labels, work folder). */
  key: string;
  repo: string;
  deb: string;
  /** Suite of `deb` and `extraDebs` (default bookworm, the controller's own apt). */
  suite?: Suite;
  /** Further packages of the same suite extracted beside `deb` (sid's promtool is its own package). */
  extraDebs?: string[];
  /** Package path → image path. */
  binaries: Record<string, string>;
  /**
   * Folders of the package copied whole, symbolic links resolved: Debian links the web UI's
   * JavaScript to other packages (`static/jquery -> ../../../javascript/jquery`, libjs-*), which the
   * controller has as Depends of the same package.
   */
  trees?: string[];
  /**
   * Bumped when the recipe changes: part of the tag (`2.42.0-web1`), so that `lab up` rebuilds the
   * image and the next deploy, seeing a new pinned reference, pushes it and recreates the container.
   */
  recipe?: string;
  /** Paths left out of `trees` (moment-timezone's 200 MB of raw zone data: the UI loads the bundle). */
  exclude?: string[];
  extraFiles: Record<string, { text: string; mode?: number }>;
  /** Folders created empty, owned by nobody. */
  dataDirs: string[];
  changes: string[];
  /** Flag that makes the binary print its version and exit 0 (default `--version`). */
  versionFlag?: string;
}

const PROMETHEUS_YML = `# Minimal configuration of the lab image (the deploy brings its own).
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["localhost:9090"]
`;

/**
 * Dockerfile instructions of Prometheus' upstream image (prometheus/prometheus Dockerfile at v3.5.x and
 * v2.53.x: binaries in /bin, the default configuration in /etc/prometheus, `USER nobody`, `WORKDIR
 * /prometheus`), so our specs run unchanged against the lab's builds.
 */
const PROMETHEUS_CHANGES = [
  'ENTRYPOINT ["/bin/prometheus"]',
  'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]',
  "USER nobody",
  "EXPOSE 9090",
  "WORKDIR /prometheus",
  'VOLUME ["/prometheus"]',
];

/** The production lines of the lab: which Debian build stands in for which pinned image. */
export const SPECS = {
  /** apache_exporter 1.x from sid; upstream's Dockerfile: /bin/apache_exporter, USER nobody, EXPOSE 9117. */
  apache_exporter: {
    key: "apache_exporter",
    repo: "isa-lab/apache-exporter",
    deb: "prometheus-apache-exporter",
    suite: "sid",
    recipe: "sid1",
    binaries: { "usr/bin/prometheus-apache-exporter": "bin/apache_exporter" },
    extraFiles: {},
    dataDirs: [],
    changes: ['ENTRYPOINT ["/bin/apache_exporter"]', "USER nobody", "EXPOSE 9117"],
  },
  /** Prometheus 3.5 from sid (with sid's promtool). Debian's 3.5 build ships no web UI. */
  prometheus: {
    key: "prometheus",
    repo: "isa-lab/prometheus",
    deb: "prometheus",
    suite: "sid",
    extraDebs: ["promtool"],
    recipe: "sid1",
    binaries: { "usr/bin/prometheus": "bin/prometheus", "usr/bin/promtool": "bin/promtool" },
    extraFiles: { "etc/prometheus/prometheus.yml": { text: PROMETHEUS_YML } },
    dataDirs: ["prometheus"],
    changes: PROMETHEUS_CHANGES,
  },
  /** Prometheus 2.53 (the previous LTS line) from trixie, with its classic UI. */
  prometheus_oldest: {
    key: "prometheus-lts",
    repo: "isa-lab/prometheus-lts",
    deb: "prometheus",
    suite: "trixie",
    extraDebs: ["promtool"],
    binaries: { "usr/bin/prometheus": "bin/prometheus", "usr/bin/promtool": "bin/promtool" },
    // Debian's Prometheus serves its UI from here (the error page without it: "error reading base
    // template: open /usr/share/prometheus/web/templates/_base.html").
    trees: ["usr/share/prometheus/web"],
    recipe: "trixie1",
    exclude: ["usr/share/prometheus/web/static/moment-timezone/data"],
    extraFiles: { "etc/prometheus/prometheus.yml": { text: PROMETHEUS_YML } },
    dataDirs: ["prometheus"],
    changes: PROMETHEUS_CHANGES,
  },
} as const satisfies Record<keyof LabImages, AppSpec>;

const BASE_FILES: Record<string, { text: string; mode?: number }> = {
  "etc/passwd": {
    text: "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n",
  },
  "etc/group": { text: "root:x:0:\nnobody:x:65534:\n" },
  "etc/nsswitch.conf": { text: "passwd: files\ngroup: files\nhosts: files dns\n" },
};

/** Upstream version of a Debian version string: `2.42.0+ds-5+deb12u1` → `2.42.0`, `1:0.12.0-1+b4` → `0.12.0`. */
export function upstreamVersion(debVersion: string): string {
  const m = /^(?:\d+:)?(\d+(?:\.\d+)*)/.exec(debVersion.trim());
  if (!m) throw new Error(`unexpected Debian version: ${debVersion}`);
  return m[1];
}

/** Newest local image of `repo` (any tag) built by the current recipe, if any. */
async function existingImage(repo: string, recipe?: string): Promise<string | undefined> {
  const images = (await docker().listImages({ filters: { reference: [`${repo}:*`] } }))
    .filter((i) => recipe === undefined || i.Labels?.["isa-lab.recipe"] === recipe);
  images.sort((a, b) => b.Created - a.Created);
  return images[0]?.RepoTags?.find((t) => t.startsWith(`${repo}:`));
}

/** Private apt state of another suite (docs of ../shared/notes: never the controller's own sources). */
const OTHER_SUITES_DIR = "/var/cache/isa-lab";

/**
 * apt options that point apt at a private state for `suite` (its own sources.list, lists and cache under
 * /var/cache/isa-lab/apt-<suite>), so trixie's and sid's packages can be downloaded without ever adding
 * those suites to the controller's sources (an upgrade would then pull half of sid). None for bookworm.
 */
export async function suiteAptOptions(suite: Suite): Promise<string[]> {
  if (suite === "bookworm") return [];
  const dir = join(OTHER_SUITES_DIR, `apt-${suite}`);
  await Deno.mkdir(join(dir, "lists", "partial"), { recursive: true });
  await Deno.mkdir(join(dir, "cache", "archives", "partial"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, "sources.list"),
    `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${await debianMirror()} ${suite} main\n`,
  );
  return [
    `-o`,
    `Dir::Etc::sourcelist=${join(dir, "sources.list")}`,
    `-o`,
    `Dir::Etc::sourceparts=/dev/null`,
    `-o`,
    `Dir::State::Lists=${join(dir, "lists")}`,
    `-o`,
    `Dir::Cache=${join(dir, "cache")}`,
  ];
}

/**
 * Downloads a package's .deb of `suite` into `dir` (running that suite's `apt-get update` when apt knows
 * no candidate), never installing it.
 */
async function downloadDeb(pkg: string, dir: string, suite: Suite = "bookworm"): Promise<string> {
  const opts = await suiteAptOptions(suite);
  const target = suite === "bookworm" ? pkg : `${pkg}/${suite}`;
  const download = () => $`apt-get ${opts} download -q ${target}`.cwd(dir).quiet().noThrow();
  if ((await download()).code !== 0) {
    const update = await $`apt-get ${opts} update -q`.captureCombined().quiet().noThrow();
    // Its E: lines say why (an expired Release file, a key missing, a mirror unreachable).
    const errors = update.combined.split("\n").filter((l) => l.startsWith("E: "));
    if (update.code !== 0) {
      throw new Error(
        `apt-get update of ${suite} failed (exit ${update.code}):\n${errors.join("\n") || update.combined}`,
      );
    }
    await download().then((r) => {
      if (r.code !== 0) throw new Error(`apt-get download ${target} failed: ${r.stderr}`);
    });
  }
  const deb = [...Deno.readDirSync(dir)].find((e) => e.name.startsWith(`${pkg}_`) && e.name.endsWith(".deb"));
  if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${dir}`);
  return join(dir, deb.name);
}

/** Shared libraries a binary needs, as absolute paths on the controller (none for a static binary). */
async function sharedLibraries(binary: string): Promise<string[]> {
  const res = await $`ldd ${binary}`.noThrow().quiet();
  if (res.code !== 0) return []; // "not a dynamic executable"
  return res.stdout.split("\n").flatMap((l) => {
    const m = /=>\s*(\/\S+)/.exec(l) ?? /^\s*(\/\S+)\s+\(/.exec(l);
    return m ? [m[1]] : [];
  });
}

/**
 * Copies the package folder `rel` from the extracted package `x` into `root`, replacing each symbolic
 * link by what it points to: inside the package when there, else the same path on this machine.
 */
async function copyTree(x: string, root: string, rel: string, exclude: string[]): Promise<void> {
  if (exclude.includes(rel)) return;
  const src = join(x, rel);
  const info = await Deno.lstat(src);
  if (info.isSymlink) {
    const target = resolve(dirname(src), await Deno.readLink(src));
    const inPackage = await Deno.stat(target).then(() => true, () => false);
    const onController = "/" + relative(x, target);
    const from = inPackage ? target : onController;
    if (!inPackage && !(await Deno.stat(from).then(() => true, () => false))) {
      throw new Error(`/${rel} links to ${from}, missing on this machine: apt-get install prometheus`);
    }
    await copyFollowing(from, join(root, rel), exclude.map((e) => join(root, e)));
  } else if (info.isDirectory) {
    await Deno.mkdir(join(root, rel), { recursive: true });
    for await (const e of Deno.readDir(src)) await copyTree(x, root, join(rel, e.name), exclude);
  } else {
    await Deno.mkdir(dirname(join(root, rel)), { recursive: true });
    await Deno.copyFile(src, join(root, rel));
  }
}

/** Copies a file or folder, following symbolic links (as `cp -rL`, which dax's built-in cp lacks). */
async function copyFollowing(from: string, to: string, exclude: string[]): Promise<void> {
  if (exclude.includes(to)) return;
  // A dangling link (a file the library package does not ship) is left out, as a browser would 404 it.
  const info = await Deno.stat(from).catch(() => null);
  if (!info) return;
  if (info.isDirectory) {
    await Deno.mkdir(to, { recursive: true });
    for await (const e of Deno.readDir(from)) {
      await copyFollowing(join(from, e.name), join(to, e.name), exclude);
    }
  } else {
    await Deno.mkdir(dirname(to), { recursive: true });
    await Deno.copyFile(from, to);
  }
}

async function writeFile(root: string, path: string, text: string, mode = 0o644): Promise<void> {
  await Deno.mkdir(dirname(join(root, path)), { recursive: true });
  await Deno.writeTextFile(join(root, path), text, { mode });
  await Deno.chmod(join(root, path), mode);
}

async function buildApp(spec: AppSpec, log: (line: string) => void): Promise<string> {
  const work = await makeWorkDir(`isa-lab-${spec.key}-`);
  try {
    const deb = await downloadDeb(spec.deb, work, spec.suite);
    const extra = [];
    for (const pkg of spec.extraDebs ?? []) extra.push(await downloadDeb(pkg, work, spec.suite));
    const version = upstreamVersion(await $`dpkg-deb -f ${deb} Version`.text());
    const ref = `${spec.repo}:${version}${spec.recipe ? `-${spec.recipe}` : ""}`;
    log(`lab images: building ${ref} from ${[deb, ...extra].map((d) => d.replace(/.*\//, "")).join(", ")}`);
    const x = join(work, "x");
    const root = join(work, "root");
    for (const d of [deb, ...extra]) await $`dpkg-deb -x ${d} ${x}`;
    const libs = new Set<string>();
    for (const [from, to] of Object.entries(spec.binaries)) {
      await Deno.mkdir(dirname(join(root, to)), { recursive: true });
      await Deno.copyFile(join(x, from), join(root, to));
      for (const lib of await sharedLibraries(join(root, to))) libs.add(lib);
    }
    for (const tree of spec.trees ?? []) await copyTree(x, root, tree, spec.exclude ?? []);
    for (const lib of libs) {
      await Deno.mkdir(dirname(join(root, lib)), { recursive: true });
      await Deno.copyFile(lib, join(root, lib));
    }
    for (const [path, f] of Object.entries({ ...BASE_FILES, ...spec.extraFiles })) {
      await writeFile(root, path, f.text, f.mode);
    }
    await writeFile(
      root,
      "etc/ssl/certs/ca-certificates.crt",
      await Deno.readTextFile("/etc/ssl/certs/ca-certificates.crt"),
    );
    await Deno.mkdir(join(root, "tmp"), { mode: 0o1777 });
    await Deno.chmod(join(root, "tmp"), 0o1777);
    for (const d of spec.dataDirs) {
      await Deno.mkdir(join(root, d), { recursive: true });
      await Deno.chown(join(root, d), 65534, 65534);
    }
    await importRootfs(root, ref, [
      ...spec.changes,
      `LABEL isa-lab="${spec.key}" org.opencontainers.image.version="${version}"` +
      (spec.recipe ? ` isa-lab.recipe="${spec.recipe}"` : ""),
    ]);
    const check = await runOnce(ref, [spec.versionFlag ?? "--version"]);
    if (check.code !== 0) throw new Error(`${ref} --version failed (${check.code}):\n${check.output}`);
    log(`lab images: ${ref} ok (${check.output.split("\n")[0].trim()})`);
    return ref;
  } finally {
    await removeWorkDir(work);
  }
}

/** The lab's builds (`isa-lab/prometheus:3.5.3-sid1`…) of each production line, built unless present. */
export async function ensureLabBuilds(log: (line: string) => void): Promise<LabImages> {
  const out: Partial<LabImages> = {};
  for (const [name, spec] of Object.entries(SPECS) as [keyof LabImages, AppSpec][]) {
    out[name] = await ensureAppImage(spec, log);
  }
  return out as LabImages;
}

/** Version a lab build carries (its `org.opencontainers.image.version` label). */
export async function buildVersion(ref: string): Promise<string> {
  const info = await docker().getImage(ref).inspect();
  const v = info.Config.Labels?.["org.opencontainers.image.version"];
  if (!v) throw new Error(`${ref} carries no org.opencontainers.image.version label`);
  return v;
}

/** The image of one spec: the newest local one, else built now from its Debian package. */
export async function ensureAppImage(spec: AppSpec, log: (line: string) => void): Promise<string> {
  return await existingImage(spec.repo, spec.recipe) ?? await buildApp(spec, log);
}

/** The flag the failing lab image adds: Prometheus exits on it, as on any flag it does not know. */
export const FAILING_FLAG = "--isa-lab-failing-entrypoint";

/**
 * A Prometheus image whose entrypoint fails at once (lab proofs of readiness and rollback): the lab
 * image with an ENTRYPOINT adding a flag Prometheus does not know, so it exits 1 with kingpin's
 * "unknown long flag" on stderr, as a real image would with a flag removed upstream. Same binaries,
 * so promtool still validates the configuration from it. Made by a commit (no build, no network).
 */
export async function ensureFailingPrometheusImage(base: string): Promise<string> {
  const tag = base.replace(/^.*:/, "");
  const ref = `isa-lab/prometheus-failing:${tag}`;
  if (await imageExists(ref)) return ref;
  const c = await docker().createContainer({ Image: base });
  try {
    await c.commit({
      repo: "isa-lab/prometheus-failing",
      tag,
      changes: `ENTRYPOINT ["/bin/prometheus", "${FAILING_FLAG}"]`,
    });
  } finally {
    await c.remove({ force: true });
  }
  const check = await runOnce(ref, ["--config.file=/etc/prometheus/prometheus.yml"]);
  if (check.code === 0 || !check.output.includes(FAILING_FLAG)) {
    throw new Error(`${ref} was meant to fail on ${FAILING_FLAG}; got ${check.code}:\n${check.output}`);
  }
  return ref;
}

/**
 * `base` plus one layer on top, a file of `bytes` random (so incompressible) bytes at
 * `/isa-bench-layer`, tagged `<base>-<suffix>`: what a new upstream tag looks like to a push, the base's
 * layers shared and one new. Made by a commit of a container never started (no build, no network).
 */
export async function layeredVariant(base: string, suffix: string, bytes: number): Promise<string> {
  const ref = `${base}-${suffix}`;
  const at = ref.lastIndexOf(":");
  const c = await docker().createContainer({ Image: base });
  const work = await Deno.makeTempDir({ prefix: "isa-variant-" }).catch(async (e) => {
    await c.remove({ force: true });
    throw e;
  });
  try {
    const blob = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i += 65536) {
      crypto.getRandomValues(blob.subarray(i, Math.min(bytes, i + 65536)));
    }
    await Deno.writeFile(join(work, "isa-bench-layer"), blob);
    // ustar by the controller's tar: Docker's archive endpoint takes a tar stream.
    const tar = await $`tar -C ${work} -cf - isa-bench-layer`.bytes();
    await c.putArchive(Buffer.from(tar), { path: "/" });
    await c.commit({ repo: ref.slice(0, at), tag: ref.slice(at + 1) });
  } finally {
    await c.remove({ force: true });
    await Deno.remove(work, { recursive: true });
  }
  return ref;
}
