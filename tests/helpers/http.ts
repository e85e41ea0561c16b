/** HTTP from the controller, as the tests judge it. */

/** Error raised while nothing answers: refused, closed before any HTTP answer, or no answer in time. */
const NOTHING_ANSWERS =
  /tcp connect error|Connection refused|connection closed before message completed|Connection reset/i;

/**
 * HTTP status of a GET from the controller; 0 when nothing answers (connection refused, closed before
 * any HTTP answer — the lab's docker-proxy does that when the host drops the packets — or no answer
 * within 4 s). Anything else (a certificate refused, a non-HTTP answer, a bad URL) is thrown with its
 * cause, so a status of 0 always means "closed".
 */
export async function httpStatus(url: string, init: RequestInit = {}): Promise<number> {
  // A new client each time: a pooled keep-alive connection would pass a firewall that only
  // stops new connections, and prove nothing.
  const client = Deno.createHttpClient({});
  try {
    const r = await fetch(url, { ...init, client, signal: AbortSignal.timeout(4000) });
    await r.body?.cancel();
    return r.status;
  } catch (e) {
    if (e instanceof DOMException && e.name === "TimeoutError") return 0;
    const why = `${(e as Error).message}: ${((e as Error).cause as Error | undefined)?.message ?? ""}`;
    if (NOTHING_ANSWERS.test(why)) return 0;
    throw new Error(`GET ${url}: ${why}`);
  } finally {
    client.close();
  }
}
