import assert from "node:assert/strict";
import { seconds } from "../../lib/base/duration.ts";

Deno.test("durations: a number and one unit, in seconds", () => {
  assert.equal(seconds("15s"), 15);
  assert.equal(seconds("2m"), 120);
  assert.equal(seconds("1h"), 3600);
  assert.equal(seconds("1d"), 86400);
  assert.equal(seconds("500ms"), 0.5);
  assert.equal(seconds(" 1.5m "), 90);
});

Deno.test("durations: anything else is refused with an example", () => {
  for (const bad of ["soon", "15", "s", "1h30m", "-5s", "1w", ""]) {
    assert.throws(() => seconds(bad), /is not a duration \(e\.g\. 90s, 5m\)/, bad);
  }
});
