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
}

/** The host could not be reached over SSH. */
export class UnreachableError extends Error {
  override name = "UnreachableError";
}
