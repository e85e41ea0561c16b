/** Our system user, as the host's passwd database has it. */
import { SERVICE_ACCOUNT } from "../base/names.ts";

/** The dedicated system user, as the host's passwd database has it. */
export interface ServiceAccountFacts {
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** Shell section: our system user's passwd line. */
export const ACCOUNT_SECTION = `isa_sec service-account; getent passwd ${SERVICE_ACCOUNT} 2>/dev/null
`;

/** The passwd line of our system user (`name:x:uid:gid:gecos:home:shell`); null when absent or malformed. */
export function parseServiceAccount(lines: string[]): ServiceAccountFacts | null {
  const f = (lines.find((l) => l.startsWith(`${SERVICE_ACCOUNT}:`)) ?? "").split(":");
  if (f.length !== 7 || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) return null;
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5], shell: f[6] };
}
