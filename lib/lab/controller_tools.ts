/**
 * What the controller needs, declared once by purpose, and the one function that installs it. Each entry
 * point asks for its own purposes: `demo` and `lab up` the lab, `test` the lab, the tools tests and the
 * browser, `bench` the lab and its timer (and `ansible` for its side-by-side). A purpose lists everything
 * its path runs on this machine, so a fresh Debian with only Node.js/npm gets all of it (tests/fresh/
 * proves it for the demo).
 */
import $ from "dax";

/** Something the controller needs: a Debian package, and how to tell it is there. */
export interface ControllerNeed {
  /** Debian package that brings it. */
  pkg: string;
  /** Command on PATH it provides; without one, the package itself must be installed (dpkg). */
  command?: string;
  /** Why, in a few words (shown when it is missing and can't be installed). */
  why: string;
}

/** What the controller's paths need, by purpose. */
export const CONTROLLER_NEEDS = {
  /** The lab (`lab up`, the demo): its engine, host images, SSH, and the lab's app images. */
  lab: [
    { pkg: "openssh-client", command: "ssh", why: "reaching the lab hosts" },
    { pkg: "openssh-client", command: "ssh-keygen", why: "the lab's keys" },
    { pkg: "debootstrap", command: "debootstrap", why: "building the lab's host images" },
    { pkg: "docker.io", command: "dockerd", why: "the lab's engine" },
    { pkg: "docker.io", command: "docker", why: "the lab's engine client" },
    { pkg: "curl", command: "curl", why: "the demo's curl line and the lab's checks" },
    { pkg: "openssl", command: "openssl", why: "the lab's certificates (Alertmanager, the browser's pin)" },
    // The lab's Prometheus image copies Debian's web UI, whose assets are links to libjs-* packages that
    // the prometheus package depends on: they must be on this machine (lib/lab/app_images.ts).
    { pkg: "prometheus", why: "the web UI assets (libjs-*) the lab's Prometheus image links to" },
  ],
  /** The tests that run real tools on the controller (tests/tools/). */
  tools: [
    { pkg: "apache2-utils", command: "htpasswd", why: "checking our bcrypt hashes with Apache's own tool" },
    { pkg: "prometheus", command: "promtool", why: "checking configurations and rules" },
    { pkg: "prometheus", command: "prometheus", why: "running our configuration for real" },
    {
      pkg: "prometheus-apache-exporter",
      command: "prometheus-apache-exporter",
      why: "running the exporter's flags for real",
    },
    { pkg: "gcc", command: "gcc", why: "the tiny static test images (tests/helpers/tiny_images.ts)" },
    // `gcc -static` links libc.a, which is in libc6-dev: only a Recommends of gcc, and we install none.
    { pkg: "libc6-dev", why: "static linking of the tiny test images (libc.a)" },
    { pkg: "bsdutils", command: "script", why: "a terminal for top and the --prod prompt" },
    { pkg: "iproute2", command: "ss", why: "the lab tests' count of connections to a host's sshd" },
  ],
  /** The fresh controller's test (tests/fresh/): the checkout's file list. */
  fresh: [{
    pkg: "git",
    command: "git",
    why: "listing the checkout's files to copy into the fresh controller",
  }],
  /** The browser test (the demo's graph link in headless Chromium). */
  browser: [{ pkg: "chromium", command: "chromium", why: "opening the demo's graph link" }],
  /** The bench: GNU time's %M is the controller's peak memory (not the shell keyword). */
  bench: [{ pkg: "time", command: "/usr/bin/time", why: "the controller's peak memory" }],
  /**
   * The bench's side-by-side (`--ansible`): Debian 12's `ansible` 7.x (ansible-core 2.14 with the
   * collections; `ansible-core` alone has no community.docker); the bench hashes the passwords itself.
   */
  ansible: [{ pkg: "ansible", command: "ansible-playbook", why: "the side-by-side's Ansible run" }],
} satisfies Record<string, readonly ControllerNeed[]>;

/** A purpose of CONTROLLER_NEEDS. */
export type Purpose = keyof typeof CONTROLLER_NEEDS;

/** Whether a need is met on this machine. */
async function present(need: ControllerNeed): Promise<boolean> {
  if (need.command) {
    return need.command.startsWith("/")
      ? await Deno.stat(need.command).then(() => true, () => false)
      : await $.commandExists(need.command);
  }
  const r = await $`dpkg-query -W -f=${"${db:Status-Status}"} ${need.pkg}`.quiet().noThrow();
  return r.code === 0 && r.stdout.trim() === "installed";
}

/** The needs of `purposes` that this machine lacks. */
export async function missingNeeds(purposes: readonly Purpose[]): Promise<ControllerNeed[]> {
  const needs: ControllerNeed[] = purposes.flatMap((p): ControllerNeed[] => CONTROLLER_NEEDS[p]);
  const missing: ControllerNeed[] = [];
  for (const n of needs) if (!(await present(n))) missing.push(n);
  return missing;
}

/**
 * Installs what `purposes` need and this machine lacks, with apt-get when we are root on Debian/Ubuntu;
 * otherwise throws saying exactly what to install and why. Returns the packages it installed.
 */
export async function ensureControllerTools(
  purposes: readonly Purpose[],
  log: (line: string) => void = console.log,
): Promise<string[]> {
  const missing = await missingNeeds(purposes);
  const packages = [...new Set(missing.map((n) => n.pkg))];
  if (packages.length === 0) return [];
  const what = missing.map((n) => `${n.command ?? n.pkg} (${n.why})`).join(", ");
  if (Deno.uid() !== 0 || !(await $.commandExists("apt-get"))) {
    throw new Error(`missing on this machine: ${what}; install: apt-get install -y ${packages.join(" ")}`);
  }
  log(`installing ${packages.join(", ")} (apt-get)`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  await $`apt-get update -q`.env(env).quiet();
  const r = await $`apt-get install -y -q --no-install-recommends ${packages}`.env(env).quiet().noThrow();
  if (r.code !== 0) {
    throw new Error(`apt-get install ${packages.join(" ")} failed (for ${what}): ${r.stderr.trim()}`);
  }
  // Debian's prometheus package starts a service on install; we only want its files.
  if (packages.includes("prometheus")) {
    await $`sh -c ${"systemctl stop prometheus 2>/dev/null; pkill -x prometheus 2>/dev/null; true"}`.quiet()
      .noThrow();
  }
  const still = await missingNeeds(purposes);
  if (still.length) {
    throw new Error(
      `still missing after apt-get: ${still.map((n) => `${n.command ?? n.pkg} (${n.pkg})`).join(", ")}`,
    );
  }
  return packages;
}
