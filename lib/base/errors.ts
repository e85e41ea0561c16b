/** Bad usage or input: exit 1, nothing was touched. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A remote command failed; carries its exit code and stderr. */
export class RemoteError extends Error {
  override name = "RemoteError";
  constructor(message: string, readonly code: number, readonly stderr: string) {
    super(message);
  }

  /**
   * The failure of command `what` (its first line): the exit code and stderr, never stdout, which can
   * be the probe's, holding the base64 of secret files (redaction knows the secrets, not every slice
   * of a longer base64 stream).
   */
  static of(what: string, code: number, stderr: string): RemoteError {
    const err = stderr.trim();
    return new RemoteError(`${what}: exit ${code}${err ? `: ${err}` : ""}`, code, stderr);
  }
}

/** The host could not be reached over SSH. */
export class UnreachableError extends Error {
  override name = "UnreachableError";
}
