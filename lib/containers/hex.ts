/** Lower-case hex of bytes (std/encoding is on JSR, which we can't reach). */
export function encodeHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
