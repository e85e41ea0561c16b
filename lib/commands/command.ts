/**
 * Remote commands as data, as Kamal keeps them: pure builders return the script and the line `-v`
 * shows for it; only the transport runs them (transport/exec.ts). Tests compare whole strings.
 */

/** One remote command: its POSIX sh script (run as root) and the line `-v` shows (the script when absent). */
export interface Command {
  script: string;
  log?: string;
}
