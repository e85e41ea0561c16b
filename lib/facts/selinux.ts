/** SELinux: its mode, the install folder's labels, and whether Docker labels containers. */
import type { DockerInfo } from "./docker.ts";

/** SELinux as it bears on our containers reading the install folder. */
export interface SelinuxFacts {
  /** `getenforce`; `absent` when the tools are not installed (Debian, Ubuntu). */
  mode: "enforcing" | "permissive" | "disabled" | "absent";
  /** Docker labels containers (`selinux-enabled` in daemon.json, or `name=selinux` in the engine's SecurityOptions). */
  dockerLabels: boolean;
  /** Label of the install folder now (`stat -c %C`); null when the folder is absent. */
  installDirLabel: string | null;
  /** Label the policy gives the install folder (`matchpathcon -n`), local rules included; null when unknown. */
  installDirDefault: string | null;
}

/** Shell section: the mode, and the install folder's label now and as the policy gives it (`$d`: the install folder). */
export const SELINUX_SECTION = `isa_sec selinux
if command -v getenforce >/dev/null 2>&1; then
  echo "mode $(getenforce)"
  [ -e "$d" ] && echo "label $(stat -c %C "$d" 2>/dev/null)"
  command -v matchpathcon >/dev/null 2>&1 && echo "default $(matchpathcon -n "$d" 2>/dev/null)"
fi
`;

/** SELinux facts from the probe's `mode`, `label` and `default` lines, and whether Docker labels containers. */
export function parseSelinux(
  lines: string[],
  daemonJson: string | null,
  info: DockerInfo | null,
): SelinuxFacts {
  const kv = new Map(lines.map((l) => [l.split(" ")[0], l.slice(l.indexOf(" ") + 1).trim()]));
  const m = (kv.get("mode") ?? "").toLowerCase();
  const mode = m === "enforcing" || m === "permissive" || m === "disabled" ? m : "absent";
  let daemon: Record<string, unknown> = {};
  try {
    daemon = daemonJson ? JSON.parse(daemonJson) : {};
  } catch { /* the Docker step reports a broken daemon.json */ }
  // A running engine says what it does; a stopped one will do what daemon.json says (off by default).
  const dockerLabels = info?.SecurityOptions
    ? info.SecurityOptions.some((o) => o.split(",").includes("name=selinux"))
    : daemon["selinux-enabled"] === true;
  return {
    mode,
    dockerLabels,
    installDirLabel: kv.get("label") || null,
    installDirDefault: kv.get("default") || null,
  };
}
