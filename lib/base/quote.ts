/**
 * Quotes a value for a POSIX shell on the remote side.
 *
 * ssh joins its arguments with spaces and the remote shell parses the result again, so a value
 * must be quoted for that shell, not only for the local one. Single quotes stop every expansion;
 * an embedded single quote becomes `'\''`.
 */
export function quote(value: string): string {
  if (value.includes("\0")) throw new Error("a NUL byte cannot be passed to a shell");
  if (value !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
