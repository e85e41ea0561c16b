const secrets = new Set<string>();

/** Remembers a secret value so that `redact` hides it from every output. */
export function registerSecret(value: string): void {
  if (value.length >= 1) secrets.add(value);
  // A password can also travel base64- or URL-encoded; hide those forms too.
  if (value.length >= 4) {
    secrets.add(encodeURIComponent(value));
    secrets.add(btoa(String.fromCharCode(...new TextEncoder().encode(value))));
  }
}

/** Replaces every registered secret in `text` with `***`. */
export function redact(text: string): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.replaceAll(s, "***");
  return out;
}
