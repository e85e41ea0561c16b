import type { ApacheFacts } from "../facts/facts.ts";
import { APACHE_CONF_FILE } from "../base/names.ts";

// A search hit (`path:line:text`) in our own file.
const OUR_FILE_HIT = new RegExp(`(^|/)${APACHE_CONF_FILE.replaceAll(".", "\\.")}:`);

/** Markers around the block we own; everything outside them is left byte for byte. */
export const BEGIN = "# BEGIN apache server status";
/** End marker of our block. */
export const END = "# END apache server status";

/** The managed block: /server-status for localhost and the Docker networks only. */
export function statusBlock(apache: ApacheFacts, dockerNetworks: string[], layout = apache.layout): string {
  const nets = [...new Set(dockerNetworks)].sort();
  const lines = [
    BEGIN,
    "# Managed by isa-monitoring: the scoreboard for apache_exporter. Edits here are overwritten.",
  ];
  // RHEL loads modules from conf.modules.d; make sure mod_status is there without a restart.
  if (layout === "rhel" && !apache.statusModule) {
    lines.push(
      "<IfModule !status_module>",
      "  LoadModule status_module modules/mod_status.so",
      "</IfModule>",
    );
  }
  lines.push("ExtendedStatus On", "<Location /server-status>", "  SetHandler server-status");
  if (apache.authzCore) {
    lines.push("  Require local");
    if (nets.length) lines.push(`  Require ip ${nets.join(" ")}`);
  } else {
    // Apache 2.2 without mod_authz_core: the original's Order/Deny/Allow form.
    lines.push(
      "  Order Deny,Allow",
      "  Deny from all",
      `  Allow from 127.0.0.1 ::1${nets.map((n) => " " + n).join("")}`,
    );
  }
  lines.push("</Location>", END);
  return lines.join("\n") + "\n";
}

/** Where our markers are in a file, or an error when they are malformed. */
function markers(text: string): { begin: number; end: number } | null {
  const lines = text.split("\n");
  const begins = lines.flatMap((l, i) => (l.trim() === BEGIN ? [i] : []));
  const ends = lines.flatMap((l, i) => (l.trim() === END ? [i] : []));
  if (begins.length === 0 && ends.length === 0) return null;
  if (begins.length !== 1 || ends.length !== 1 || ends[0] < begins[0]) {
    throw new Error(
      `our markers are unbalanced (${begins.length} BEGIN, ${ends.length} END); fix the file by hand`,
    );
  }
  return { begin: begins[0], end: ends[0] };
}

/** The file with our block replaced in place (or appended), the rest untouched. */
export function withBlock(current: string | null, block: string): string {
  if (current === null || current === "") return block;
  const m = markers(current);
  const lines = current.split("\n");
  if (!m) return current + (current.endsWith("\n") ? "" : "\n") + block;
  const before = lines.slice(0, m.begin).join("\n");
  const after = lines.slice(m.end + 1).join("\n");
  return (m.begin > 0 ? before + "\n" : "") + block + after;
}

/** The file without our block (for uninstall). */
export function withoutBlock(current: string): string {
  const m = markers(current);
  if (!m) return current;
  const lines = current.split("\n");
  return [...lines.slice(0, m.begin), ...lines.slice(m.end + 1)].join("\n");
}

/** `<Location /server-status>` lines outside our block, in our file or anywhere in the config. */
export function unmanagedStatusLocations(apache: ApacheFacts, ourFile: string | null): string[] {
  const out = apache.statusLocations.filter((hit) => !OUR_FILE_HIT.test(hit));
  if (ourFile) {
    const m = markers(ourFile);
    ourFile.split("\n").forEach((l, i) => {
      const inside = m && i >= m.begin && i <= m.end;
      if (!inside && /^\s*<Location\s+"?\/server-status/i.test(l)) {
        out.push(`${apache.confFile}:${i + 1}:${l.trim()}`);
      }
    });
  }
  return out;
}
