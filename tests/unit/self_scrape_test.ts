import assert from "node:assert/strict";
import { selfScrapePassword } from "../../lib/steps/prometheus.ts";
import { redact } from "../../lib/base/redact.ts";

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

Deno.test("self-scrape password: registered for redaction, the host's and a new one alike", () => {
  const kept = "0123456789abcdef0123456789abcdef0123456789abcdef";
  assert.equal(selfScrapePassword(kept), kept);
  assert.equal(redact(`password_file holds ${kept}`), "password_file holds ***");
  const made = selfScrapePassword(null);
  assert.equal(redact(`-${made}-`), "-***-");
});
