/**
 * The lab host images: Debian from `debootstrap` (bookworm; trixie for the Debian 13 host), finished by a
 * flavour's recipe (files/lab/host/ for Debian, files/lab/host/ then files/lab/host-trixie/ for Debian 13,
 * files/lab/host-rhel/ for the RHEL-shaped host, files/lab/host-light/ for the light hosts), imported as
 * `isa-lab/host:<recipe hash>` (`isa-lab/host-rhel:<hash>`, …) so a recipe change builds a new image and
 * no change reuses it.
 */
import { join, relative } from "node:path";
import { createHash } from "node:crypto";
import $ from "dax";
import { type ImageRecipe, PROJECT_ROOT, recipeDirs, suiteOf } from "./layout.ts";
import { docker, imageExists } from "./engine.ts";
import { importRootfs, makeWorkDir, removeWorkDir } from "./rootfs.ts";

/** Bump when the build procedure below changes in a way the recipe files don't show. */
const BUILD_REVISION = "1";

/**
 * Dockerfile instructions of the host image: boot systemd. (`docker import` of this engine refuses
 * STOPSIGNAL; the containers set SIGRTMIN+3 themselves, see containers.ts.)
 */
const IMAGE_CHANGES = [
  'CMD ["/sbin/init"]',
  "ENV container=docker",
  'LABEL isa-lab="host"',
];

/** The light host boots no systemd: its init script starts Apache and becomes sshd (files/lab/host-light/). */
const LIGHT_IMAGE_CHANGES = [
  'CMD ["/usr/local/sbin/isa-light-init"]',
  'LABEL isa-lab="host"',
];

/** The fresh controller runs what it is told (tests/fresh/); a shell by default. */
const CONTROLLER_IMAGE_CHANGES = [
  'CMD ["/bin/bash"]',
  'LABEL isa-lab="controller"',
];

/** The services image runs the command each container gives (registry.ts); a shell by default. */
const SERVICES_IMAGE_CHANGES = [
  'CMD ["/bin/bash"]',
  'LABEL isa-lab="services"',
];

/** Dockerfile instructions of an image. */
function imageChanges(flavour: ImageRecipe): string[] {
  if (flavour === "controller") return CONTROLLER_IMAGE_CHANGES;
  if (flavour === "services") return SERVICES_IMAGE_CHANGES;
  return flavour === "light" ? LIGHT_IMAGE_CHANGES : IMAGE_CHANGES;
}

async function recipeFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...await recipeFiles(p));
    else out.push(p);
  }
  return out.sort();
}

/** Image repository of a flavour (Debian's keeps its historical name, so its tags don't change). */
function imageRepo(flavour: ImageRecipe): string {
  if (flavour === "controller" || flavour === "services") return `isa-lab/${flavour}`;
  return flavour === "debian" ? "isa-lab/host" : `isa-lab/host-${flavour}`;
}

/**
 * Tag of a flavour's host image for its current recipe: `isa-lab/host:<12 hex digits of its hash>`
 * (`isa-lab/host-rhel:…`). Each flavour hashes only its own recipe folder.
 */
export async function hostImageRef(flavour: ImageRecipe = "debian"): Promise<string> {
  const h = createHash("sha256").update(
    `${suiteOf(flavour)}\0${BUILD_REVISION}\0${imageChanges(flavour).join("\n")}\0`,
  );
  for (const [i, dir] of recipeDirs(flavour).entries()) {
    // Layers after the first are hashed under their own prefix: a file moved between them is a change.
    const prefix = i === 0 ? "" : `${i}:`;
    for (const f of await recipeFiles(dir)) {
      h.update(prefix + relative(dir, f)).update("\0").update(await Deno.readFile(f)).update("\0");
    }
  }
  return `${imageRepo(flavour)}:${h.digest("hex").slice(0, 12)}`;
}

/** The recipe file `name` of a flavour: the last of its recipe folders that has one. */
async function recipeFile(flavour: ImageRecipe, name: string): Promise<string> {
  const dirs = recipeDirs(flavour).map((d) => join(d, name));
  for (const p of dirs.toReversed()) {
    if (await Deno.stat(p).then(() => true, () => false)) return p;
  }
  throw new Error(`no ${name} in ${recipeDirs(flavour).join(" or ")}`);
}

/** Packages of a flavour's image, from its recipe's packages.txt. */
export async function hostPackages(flavour: ImageRecipe = "debian"): Promise<string[]> {
  const text = await Deno.readTextFile(await recipeFile(flavour, "packages.txt"));
  return text.split("\n").map((l) => l.replace(/#.*/, "").trim()).filter(Boolean);
}

/** The controller's Debian mirror (from /etc/apt/sources.list.d/debian.sources), else deb.debian.org. */
export async function debianMirror(): Promise<string> {
  const text = await Deno.readTextFile("/etc/apt/sources.list.d/debian.sources").catch(() => "");
  for (const stanza of text.split(/\n\s*\n/)) {
    const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
    if (uri && /^Suites:.*\bbookworm\b/m.test(stanza) && !uri.includes("security")) return uri;
  }
  return "http://deb.debian.org/debian";
}

/** A WritableStream that hands complete lines to `onLine`. */
export function lineSink(onLine: (line: string) => void): WritableStream<Uint8Array> {
  const dec = new TextDecoder();
  let buf = "";
  return new WritableStream({
    write(chunk) {
      buf += dec.decode(chunk, { stream: true });
      const lines = buf.split("\n");
      buf = lines.pop()!;
      lines.forEach(onLine);
    },
    close() {
      if (buf) onLine(buf);
    },
  });
}

/**
 * Condenses debootstrap's one-line-per-package output: prints the first line of each phase
 * (Retrieving, Extracting, Unpacking, Configuring…) and a count every 40 packages.
 */
function debootstrapProgress(log: (line: string) => void, started: number): (line: string) => void {
  let phase = "";
  let count = 0;
  const t = () => `${Math.round((Date.now() - started) / 1000)}s`;
  return (line) => {
    const m = /^([IWE]): (\S+)/.exec(line);
    if (!m || m[2] === "Validating") return;
    if (m[1] !== "I" || m[2] !== phase) {
      if (count > 1) log(`  debootstrap [${t()}]   … ${count} × ${phase}`);
      phase = m[2];
      count = 0;
      log(`  debootstrap [${t()}] ${line}`);
    }
    if (++count % 40 === 0) log(`  debootstrap [${t()}]   … ${count} ${phase}`);
  };
}

/** Removes host images of earlier recipes that no container uses any more. */
async function removeOlderHostImages(current: string, log: (line: string) => void): Promise<void> {
  const repo = current.slice(0, current.lastIndexOf(":"));
  for (const img of await docker().listImages({ filters: { reference: [`${repo}:*`] } })) {
    for (const tag of img.RepoTags ?? []) {
      if (tag === current) continue;
      // Fails (and is kept) while a host container still runs it.
      if (await docker().getImage(tag).remove().then(() => true, () => false)) {
        log(`host image: removed ${tag}`);
      }
    }
  }
}

/** Builds a flavour's host image unless its current recipe's image exists; returns its reference. */
export async function ensureHostImage(
  log: (line: string) => void,
  flavour: ImageRecipe = "debian",
): Promise<string> {
  const ref = await hostImageRef(flavour);
  const suite = suiteOf(flavour);
  if (await imageExists(ref)) return ref;
  if (Deno.uid() !== 0) throw new Error(`building the lab host image (${ref}) needs root (debootstrap)`);
  if (!(await $.commandExists("debootstrap"))) {
    throw new Error("debootstrap is missing: apt-get install -y debootstrap");
  }
  const started = Date.now();
  const mirror = await debianMirror();
  const packages = await hostPackages(flavour);
  log(`host image: building ${ref} (debootstrap ${suite} from ${mirror}; takes a few minutes)`);
  const work = await makeWorkDir("isa-lab-host-");
  const root = join(work, "root");
  try {
    const progress = debootstrapProgress(log, started);
    const res = await $`debootstrap --variant=minbase --include=${
      packages.join(",")
    } ${suite} ${root} ${mirror}`
      .stdout(lineSink(progress)).stderr(lineSink(progress)).noThrow();
    if (res.code !== 0) {
      const tail = await $`tail -n 30 ${join(root, "debootstrap", "debootstrap.log")}`.noThrow().text();
      throw new Error(`debootstrap failed (exit ${res.code}); end of debootstrap.log:\n${tail}`);
    }
    const dirs = recipeDirs(flavour);
    log(
      `host image: applying the recipe (${dirs.map((d) => relative(PROJECT_ROOT, d)).join(" + ")}) [${
        Math.round((Date.now() - started) / 1000)
      }s]`,
    );
    for (const dir of dirs) {
      const rootfs = join(dir, "rootfs");
      if (await Deno.stat(rootfs).then(() => true, () => false)) {
        // --remove-destination: trixie's /etc/default/locale is a symlink to /etc/locale.conf, which
        // debootstrap leaves dangling; our file replaces the link instead of failing on it.
        await $`/usr/bin/cp -r --preserve=mode --remove-destination ${rootfs}/. ${root}/`;
      }
    }
    await Deno.copyFile(await recipeFile(flavour, "setup.sh"), join(root, "isa-lab-setup.sh"));
    await $`chroot ${root} /bin/bash /isa-lab-setup.sh`.env({ PATH: "/usr/sbin:/usr/bin:/sbin:/bin" });
    await Deno.remove(join(root, "isa-lab-setup.sh"));
    log(`host image: importing into Docker [${Math.round((Date.now() - started) / 1000)}s]`);
    await importRootfs(root, ref, imageChanges(flavour));
  } finally {
    await removeWorkDir(work);
  }
  log(`host image: ${ref} built in ${Math.round((Date.now() - started) / 1000)} s`);
  await removeOlderHostImages(ref, log);
  return ref;
}
