import $ from "dax";

/** Commands the controller needs for the lab, the demo and the tests, with their Debian packages. */
export const CONTROLLER_TOOLS: Record<string, string> = {
  ssh: "openssh-client",
  debootstrap: "debootstrap",
  dockerd: "docker.io",
  htpasswd: "apache2-utils",
  promtool: "prometheus",
  prometheus: "prometheus",
  "prometheus-apache-exporter": "prometheus-apache-exporter",
  openssl: "openssl",
  curl: "curl",
  // GNU time, whose %M the bench reads for the controller's peak memory (not the shell keyword).
  time: "time",
};

/**
 * Installs the missing tools with apt-get when we are root on Debian/Ubuntu; otherwise says
 * exactly what to install. Returns the packages it installed.
 */
export async function ensureControllerTools(
  commands: string[] = Object.keys(CONTROLLER_TOOLS),
  log: (line: string) => void = console.log,
): Promise<string[]> {
  const missing: string[] = [];
  for (const c of commands) if (!(await $.commandExists(c))) missing.push(c);
  const packages = [...new Set(missing.map((c) => CONTROLLER_TOOLS[c] ?? c))];
  if (packages.length === 0) return [];
  if (Deno.uid() !== 0 || !(await $.commandExists("apt-get"))) {
    throw new Error(
      `missing on this machine: ${missing.join(", ")}; install: apt-get install -y ${packages.join(" ")}`,
    );
  }
  log(`installing ${packages.join(", ")} (apt-get)`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  await $`apt-get update -q`.env(env).quiet();
  await $`apt-get install -y -q --no-install-recommends ${packages}`.env(env).quiet();
  // Debian's prometheus package starts a service on install; we only want its binaries.
  if (packages.includes("prometheus")) {
    await $`sh -c ${"systemctl stop prometheus 2>/dev/null; pkill -x prometheus 2>/dev/null; true"}`.quiet()
      .noThrow();
  }
  return packages;
}
