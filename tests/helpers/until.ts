import { AssertionError } from "node:assert";

/**
 * Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes. Bounded, so a test never
 * waits forever.
 *
 * Only "not yet" is retried, and "not yet" is the probe returning undefined. A probe asserts what must hold
 * of every answer and returns undefined while the awaited thing has not happened: an assertion failure it
 * throws (node:assert's AssertionError, or any error named AssertionError) is a wrong answer, not a late
 * one, and is thrown at once, never retried away. Any other error (a connection refused while a service
 * starts, an ssh that times out during a reboot, a body that is not JSON yet) also counts as "not yet",
 * and the last one is named in the timeout message: probes of services that come and go then need no
 * try/catch of their own, and an unexpected error still fails the test, at the timeout, with its message.
 */
export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  everyMs = 500,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
      last = undefined;
    } catch (e) {
      if (isAssertion(e)) throw e;
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `: ${last}` : ""}`);
}

/** An assertion's failure, whichever assert library threw it. */
function isAssertion(e: unknown): boolean {
  return e instanceof AssertionError || (e instanceof Error && e.name === "AssertionError");
}
