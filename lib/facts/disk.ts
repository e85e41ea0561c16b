/** Free disk under the install folder. */

/** Shell section: free MiB under the install folder, or its nearest existing parent (`$d`: the install folder). */
export const DISK_SECTION = `isa_sec disk
while [ ! -d "$d" ]; do d=$(dirname "$d"); done; df -Pm "$d" | awk 'NR==2 {print $4}'
`;

/** Free MiB from the section; NaN when df printed nothing usable: unknown is not "0 MiB free". */
export function parseDiskFree(lines: string[]): number {
  return Number.parseInt(lines[0] ?? "", 10);
}
