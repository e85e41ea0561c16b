/**
 * No samples lost while the central store is down (issue 17): the lab hosts write to Debian's
 * VictoriaMetrics; it is stopped for two minutes while the hosts keep scraping, then started again.
 * Prometheus' remote write retries and reads the window back from its WAL, so the raw samples of every
 * host, read with a range selector across the outage, have no gap longer than two scrape intervals.
 * Slow by nature (two minutes of outage): its own file.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { removeVictoria, resumeVictoria, stopVictoria } from "../../lib/lab/victoria.ts";
import { durationMs } from "../../lib/render/prometheus_config.ts";
import { cli, lab } from "../helpers/lab.ts";
import { until } from "../helpers/until.ts";
import { setUpVictoria, type VictoriaSetup, vmQuery, vmStatus } from "../helpers/victoria.ts";

const OUTAGE_MS = 120_000;

/** Longest distance between consecutive samples, and the first and last sample time (seconds). */
function gaps(values: [number, string][]): { longest: number; first: number; last: number } {
  let longest = 0;
  for (let i = 1; i < values.length; i++) longest = Math.max(longest, values[i][0] - values[i - 1][0]);
  return { longest, first: values[0][0], last: values[values.length - 1][0] };
}

Deno.test("central store outage: two minutes of VictoriaMetrics down, no gap in any host's samples afterwards", async () => {
  const info = await lab();
  const names = info.hosts.map((h) => h.name);
  const scrapeS = durationMs(parse(await Deno.readTextFile(info.inventory)).vars.scrape_interval) / 1000;
  let vm: VictoriaSetup | undefined;
  try {
    vm = await setUpVictoria(info, "victoria-outage");
    const v = vm;
    const r = await cli("deploy.ts", ["--inventory", v.inventory]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await until(`up of ${names.join(", ")} on VictoriaMetrics`, 90_000, async () => {
      const s = await vmQuery(v, 'up{job="apache"}');
      return names.every((n) => s.some((x) => x.metric.instance === n)) ? true : undefined;
    });
    // Some samples before the outage, so that the window read later starts before it.
    await new Promise((res) => setTimeout(res, 4 * scrapeS * 1000));

    const down = Date.now() / 1000;
    await stopVictoria();
    assert.equal(await vmStatus(v, "/health"), 0, "VictoriaMetrics is down");
    await new Promise((res) => setTimeout(res, OUTAGE_MS));
    await resumeVictoria();
    const up = Date.now() / 1000;
    console.log(
      `VictoriaMetrics down from ${new Date(down * 1000).toISOString()} for ${Math.round(up - down)} s`,
    );

    // The window: from 3 scrape intervals before the outage to 3 after it, read at its end.
    const from = down - 3 * scrapeS;
    const to = up + 3 * scrapeS;
    const window = `${Math.ceil(to - from)}s`;
    const result = await until("the outage window to be filled on VictoriaMetrics", 120_000, async () => {
      // VictoriaMetrics hides the newest 30 s of samples from queries (-search.latencyOffset).
      if (Date.now() / 1000 < to + 35) return undefined;
      const s = await vmQuery(v, `up{job="apache"}[${window}]`, to);
      const per = names.map((n) => {
        const values = s.find((x) => x.metric.instance === n)?.values ?? [];
        return {
          n,
          values,
          ...(values.length ? gaps(values) : { longest: Infinity, first: NaN, last: NaN }),
        };
      });
      return per.every((p) => p.longest <= 2 * scrapeS && p.last >= up + scrapeS) ? per : undefined;
    }, 5000).catch(async (e) => {
      // Say what the gap looked like before failing.
      const s = await vmQuery(v, `up{job="apache"}[${window}]`, to).catch(() => []);
      for (const x of s) console.log(x.metric.instance, JSON.stringify(gaps(x.values ?? [[0, ""]])));
      throw e;
    });
    const recovered = Date.now() / 1000;
    for (const p of result) {
      console.log(
        `${p.n}: ${p.values.length} samples from ${Math.round(p.first - down)} s to +${
          Math.round(p.last - up)
        } s ` +
          `around the outage, longest gap ${p.longest} s (scrape interval ${scrapeS} s)`,
      );
      assert.ok(p.first <= down - scrapeS, `${p.n}: the window starts before the outage`);
      assert.ok(p.longest <= 2 * scrapeS, `${p.n}: gap of ${p.longest} s`);
      // Every scrape of the window is there: as many samples as scrape intervals it spans, give or take one.
      assert.ok(
        p.values.length >= Math.floor((p.last - p.first) / scrapeS),
        `${p.n}: ${p.values.length} samples`,
      );
    }
    console.log(
      // An upper bound: queries cannot see the window before -search.latencyOffset (30 s) has passed.
      `outage window found complete on VictoriaMetrics ${Math.round(recovered - up)} s after its restart`,
    );
  } finally {
    const back = await cli("deploy.ts", ["--inventory", info.inventory]);
    await removeVictoria();
    if (vm) { for (const f of [vm.secrets, vm.inventory]) await Deno.remove(f).catch(() => {}); }
    assert.equal(back.code, 0, `redeploy of the plain lab inventory: ${back.stdout}${back.stderr}`);
  }
});
