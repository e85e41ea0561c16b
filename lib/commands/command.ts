/**
 * Remote commands as data, as Kamal keeps them: pure builders return the script and the line `-v`
 * shows for it; only the transport runs them (transport/exec.ts). Tests compare whole strings.
 */

/**
 * One remote command: its POSIX sh script (run as root), the line `-v` shows (the script when absent),
 * and how it runs: a time limit for the long ones (an install) and `check: false` for those whose
 * failure is read from their output or does not matter (a clean-up after a failure).
 */
export interface Command {
  script: string;
  log?: string;
  timeoutMs?: number;
  check?: boolean;
}
