/** The host itself: its OS (os-release), its init system, and the user we log in as. */

/** The OS as os-release names it. */
export interface OsFacts {
  id: string;
  idLike: string[];
  versionId: string;
  family: "rhel" | "debian" | "unknown";
  prettyName: string;
  /** The machine (`uname -m`: x86_64, aarch64), which is also dnf's `$basearch` on the RHEL family. */
  arch: string;
}

/** Shell sections: os-release, the login user (the one sudo was run by), the machine, the init system. */
// Builtins where they do (a read loop, sshd's USER): each process costs a light host 3 to 10 ms of CPU.
export const OS_SECTIONS = `isa_sec os-release
[ -r /etc/os-release ] && while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done < /etc/os-release
isa_sec login-user; echo "\${SUDO_USER:-\${USER:-$(id -un)}}"
isa_sec arch; uname -m
isa_sec init; if [ -d /run/systemd/system ]; then echo systemd; else echo other; fi
`;

/** Parses /etc/os-release (shell-style KEY=value, optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2];
    if (/^".*"$/.test(v) || /^'.*'$/.test(v)) v = v.slice(1, -1).replace(/\\(["$`\\])/g, "$1");
    out[m[1]] = v;
  }
  return out;
}

/**
 * The systems we know, by os-release ID: one list, read by the family below, the facts step's refusal
 * and the Docker repository choice. `majors` are the releases checked (lab or real fixtures, see the
 * README); `docker` is the folder of download.docker.com/linux/ that carries docker-ce for them.
 * docker-ce-packaging builds `centos-9 centos-10 rhel-8 rhel-9 rhel-10` (rpm/Makefile, rpm/rhel-10/ and
 * rpm/centos-10/ at docker/docker-ce-packaging 1a73c6b and 10f5969); CentOS Stream 8 was dropped in June
 * 2024 (67c89e9), so `centos/8` stays at Docker 26.1 and Stream 8 (end of life that month) is refused.
 * Rocky and AlmaLinux are RHEL rebuilds and take Docker's RHEL repository, as Rocky's own Docker page
 * does (`dnf config-manager --add-repo https://download.docker.com/linux/rhel/docker-ce.repo`). Fedora
 * uses dnf (the RHEL family's commands) but is no server we support: no major is listed.
 */
export const SYSTEMS: Record<string, SystemInfo> = {
  rhel: { family: "rhel", name: "RHEL", docker: "rhel", majors: [8, 9, 10] },
  rocky: { family: "rhel", name: "Rocky", docker: "rhel", majors: [8, 9, 10] },
  almalinux: { family: "rhel", name: "AlmaLinux", docker: "rhel", majors: [8, 9, 10] },
  centos: { family: "rhel", name: "CentOS Stream", docker: "centos", majors: [9, 10] },
  fedora: { family: "rhel", name: "Fedora", docker: "fedora", majors: [] },
  debian: { family: "debian", name: "Debian", majors: [11, 12, 13] },
  // Ubuntu keeps its open end: every LTS from 20.04 on ships the docker.io and apache2 we use.
  ubuntu: { family: "debian", name: "Ubuntu", majors: [], from: "20.04" },
};

/** What we know of one system (an entry of SYSTEMS). */
export interface SystemInfo {
  family: "rhel" | "debian";
  /** As the supported list names it. */
  name: string;
  /** RHEL family: Docker's repository folder (download.docker.com/linux/<docker>). */
  docker?: "rhel" | "centos" | "fedora";
  /** The major releases checked; a newer one is refused unless the inventory allows untested systems. */
  majors: number[];
  /** Instead of majors: the first supported VERSION_ID, every later one passing (Ubuntu). */
  from?: string;
}

/**
 * The entry of SYSTEMS for an os-release ID, or for an unknown ID the entry its ID_LIKE names first
 * (a rebuild with `ID_LIKE="rhel centos fedora"` is treated as RHEL; one with only `fedora`, as Fedora).
 */
export function systemOf(id: string, idLike: string[]): SystemInfo | null {
  for (const x of [id, ...idLike]) if (Object.hasOwn(SYSTEMS, x)) return SYSTEMS[x];
  return null;
}

/** The OS family from os-release's ID and ID_LIKE (SYSTEMS decides). */
export function osFamily(id: string, idLike: string[]): "rhel" | "debian" | "unknown" {
  return systemOf(id, idLike)?.family ?? "unknown";
}

/** The OS, the init system and the login user from the probe's sections. */
export function parseOs(
  get: (section: string) => string[],
): { os: OsFacts; init: "systemd" | "other"; loginUser: string } {
  const os = parseOsRelease(get("os-release").join("\n"));
  const idLike = (os.ID_LIKE ?? "").split(/\s+/).filter(Boolean);
  return {
    os: {
      id: os.ID ?? "",
      idLike,
      versionId: os.VERSION_ID ?? "",
      family: osFamily(os.ID ?? "", idLike),
      prettyName: os.PRETTY_NAME ?? os.NAME ?? "unknown",
      // Older captures lack the section; x86_64 is what every host had before aarch64 ones came.
      arch: get("arch")[0] || "x86_64",
    },
    init: get("init")[0] === "systemd" ? "systemd" : "other",
    loginUser: get("login-user")[0] ?? "",
  };
}
