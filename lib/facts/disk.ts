/** Free disk under the install folder. */

/**
 * Shell section: free MiB under the install folder, or its nearest existing parent (`$d`: the install
 * folder). The parent by parameter expansion and df's 4th column by `read`: no dirname, no awk.
 */
export const DISK_SECTION = `isa_sec disk
while [ ! -d "$d" ]; do case "$d" in */*) d=\${d%/*}; d=\${d:-/} ;; *) d=. ;; esac; done
df -Pm "$d" | { read -r _; read -r _ _ _ free _; echo "$free"; }
`;

/** Free MiB from the section; NaN when df printed nothing usable: unknown is not "0 MiB free". */
export function parseDiskFree(lines: string[]): number {
  return Number.parseInt(lines[0] ?? "", 10);
}
