import assert from "node:assert/strict";
import { busyCpuSeconds } from "../../bench/stats.ts";

Deno.test("busy CPU seconds from /proc/stat: all but idle and iowait, in USER_HZ ticks", () => {
  // user nice system idle iowait irq softirq steal guest guest_nice
  const stat = "cpu  1000 20 300 90000 500 10 5 0 40 0\ncpu0 500 10 150 45000 250 5 2 0 20 0\nintr 1 2\n";
  assert.equal(busyCpuSeconds(stat), (1000 + 20 + 300 + 10 + 5 + 0) / 100);
  assert.equal(busyCpuSeconds(stat, 250), 1335 / 250);
  assert.throws(() => busyCpuSeconds("intr 1 2\n"), /no cpu line/);
});
