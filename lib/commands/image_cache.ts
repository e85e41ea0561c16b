/**
 * The host-side image cache: an archive written while the engine installs, loaded once it answers
 * (containers/image_cache.ts says when that pays). A file is complete by construction: it is written
 * under a temporary name and renamed to its own sha256 only once whole; the loader checks that digest
 * again before handing the file to the engine, so a half-written or damaged file is never loaded.
 */
import { quote } from "../base/quote.ts";
import type { Command } from "./command.ts";

/** A sha256 in hex, as the cache names its files (anything else never reaches a script). */
function checked(sum: string): string {
  if (!/^[0-9a-f]{64}$/.test(sum)) throw new Error(`bad image cache digest ${JSON.stringify(sum)}`);
  return sum;
}

/**
 * Writes stdin into `dir` (root-only), renamed to `<sha256>.tar` once complete; prints `<sha256> <size>`.
 * Leftover temporary files of a run that died are removed first (the host lock keeps runs apart).
 */
export function cacheImageArchive(dir: string): Command {
  const d = quote(dir);
  return {
    script: [
      "set -eu",
      "umask 077",
      `mkdir -p ${d}`,
      `chmod 700 ${d}`,
      `rm -f ${d}/.part.*`,
      `t=$(mktemp ${d}/.part.XXXXXX)`,
      'cat > "$t"',
      'sum=$(sha256sum "$t" | cut -d" " -f1)',
      'size=$(wc -c < "$t")',
      `mv -f "$t" ${d}/"$sum".tar`,
      'echo "$sum $size"',
    ].join("\n"),
    log: `write an image archive from stdin into ${dir} (renamed to its sha256 once whole)`,
  };
}

/** Parses `cacheImageArchive`'s answer; null when it is not `<sha256> <size>`. */
export function parseCached(stdout: string): { sum: string; size: number } | null {
  const m = /^([0-9a-f]{64}) +(\d+)\s*$/.exec(stdout.trim());
  return m ? { sum: m[1], size: Number(m[2]) } : null;
}

/**
 * Loads `<dir>/<sum>.tar` into the engine through its API on the host's socket (POST /images/load, the
 * request `docker load` sends; curl streams the file), after checking its digest; removes the file
 * whatever the outcome. A JSON error in the engine's answer fails the command with it on stderr.
 */
export function loadCachedArchive(dir: string, sum: string): Command {
  const f = quote(`${dir}/${checked(sum)}.tar`);
  return {
    script: [
      "set -u",
      `if ! echo "${sum}  "${f} | sha256sum -c --quiet - >/dev/null 2>&1; then rm -f ${f}; ` +
      `echo "the cached archive ${sum}.tar is missing or damaged" >&2; exit 1; fi`,
      `out=$(curl -sS -m 600 --unix-socket /var/run/docker.sock -X POST -H 'Content-Type: application/x-tar' ` +
      `-H 'Expect:' -T ${f} 'http://docker/images/load?quiet=1' 2>&1); rc=$?`,
      `rm -f ${f}`,
      // The last load leaves no folder: a later run finding one knows a run died with archives in it.
      `rmdir ${quote(dir)} 2>/dev/null`,
      `case "$out" in *'"error'*) rc=1 ;; esac`,
      "printf '%s\\n' \"$out\"",
      'if [ "$rc" -ne 0 ]; then printf \'%s\\n\' "$out" >&2; exit 1; fi',
    ].join("\n"),
    log: `load ${dir}/${sum}.tar into the engine (POST /images/load on its socket), then remove it`,
    timeoutMs: 660_000,
  };
}

/** Removes a cache folder of ours and what a run that died left in it. */
export function removeImageCache(dir: string): Command {
  return { script: `rm -rf -- ${quote(dir)}`, log: `rm -rf ${dir}` };
}
