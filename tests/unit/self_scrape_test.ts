import assert from "node:assert/strict";
import { selfScrapePassword } from "../../lib/steps/prometheus.ts";

Deno.test("self-scrape password: the host's is kept only when it is 48 hex digits, else a new one", () => {
  const made = selfScrapePassword(undefined);
  assert.match(made, /^[0-9a-f]{48}$/);
  assert.notEqual(selfScrapePassword(null), made, "random each time");
  assert.equal(selfScrapePassword(made), made, "a good one is kept: a second run changes nothing");
  for (
    const tampered of ["", "a", made.slice(0, 47), made + "0", made.toUpperCase(), `${made.slice(0, 46)}\n`]
  ) {
    const got = selfScrapePassword(tampered);
    assert.notEqual(got, tampered);
    assert.match(got, /^[0-9a-f]{48}$/, JSON.stringify(tampered));
  }
});
