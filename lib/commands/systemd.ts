/** systemd commands on the host. */
import type { Command } from "./command.ts";

/** Reloads the unit files (after one of ours was written). */
export const DAEMON_RELOAD: Command = { script: "systemctl daemon-reload", log: "systemctl daemon-reload" };

/** Enables `unit` at boot (not started now). */
export function enableUnit(unit: string): Command {
  return { script: `systemctl enable ${unit}`, log: `systemctl enable ${unit}` };
}

/** Restarts `unit` (starts it when stopped). */
export function restartUnit(unit: string): Command {
  return { script: `systemctl restart ${unit}`, log: `systemctl restart ${unit}` };
}
