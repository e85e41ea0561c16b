/** The host itself: its OS (os-release), its init system, and the user we log in as. */

/** The OS as os-release names it. */
export interface OsFacts {
  id: string;
  idLike: string[];
  versionId: string;
  family: "rhel" | "debian" | "unknown";
  prettyName: string;
}

/** Shell sections: os-release, the login user (the one sudo was run by), the init system. */
export const OS_SECTIONS = `isa_sec os-release; cat /etc/os-release 2>/dev/null
isa_sec login-user; echo "\${SUDO_USER:-$(id -un)}"
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

/** The OS family from os-release's ID and ID_LIKE. */
export function osFamily(id: string, idLike: string[]): "rhel" | "debian" | "unknown" {
  const all = [id, ...idLike];
  if (all.some((x) => ["rhel", "centos", "fedora", "rocky", "almalinux"].includes(x))) return "rhel";
  if (all.some((x) => ["debian", "ubuntu"].includes(x))) return "debian";
  return "unknown";
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
    },
    init: get("init")[0] === "systemd" ? "systemd" : "other",
    loginUser: get("login-user")[0] ?? "",
  };
}
