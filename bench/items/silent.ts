import type { BenchContext, ItemResult } from '../context';
import { table } from '../context';
import { median, round } from '../stats';
import type { TabRun } from '../tabs';

/**
 * A silent tab (issue 14): steps/s of a 3-tab run while one tab's network is
 * cut without a close (bench/relay.ts) against the same run with no outage.
 * The coordinator's heartbeat suspects the silent tab after 750 ms (its shard
 * goes as a backup copy to one of the other two) and drops it at 1.5 s;
 * without it the step waits for the shard's deadline. Steps/s while cut: steps ended inside the cut window over its
 * length. The first step after the cut is the one that paid for noticing.
 */
const TABS = 3;

function rate(h: TabRun['history'], from: number, to: number): number {
  const n = h.filter((x) => x.t > from && x.t <= to).length;
  return n / (to - from);
}

export async function silentItem(ctx: BenchContext): Promise<ItemResult> {
  const steps = ctx.quick ? 70 : 150;
  const cutAfter = ctx.quick ? 20 : 40;
  const seconds = ctx.quick ? 6 : 10;
  const repeats = ctx.quick ? 1 : ctx.repeats;
  const config = { dataset: 'mnist', model: 'mlp', batchSize: 128, optimizer: 'adam' as const, seed: 1, steps };
  const browser = await ctx.tabBrowser();
  const rows: { clean: number; cut: number; ratio: number; firstStepAfterCutS: number; stepsWhileCut: number }[] = [];
  for (let rep = 0; rep < repeats; rep++) {
    const clean = await browser.run(config, TABS, 600_000, rep + 101);
    const faulty = await browser.run(config, TABS, 600_000, rep + 101, { afterStep: cutAfter, seconds });
    const w = faulty.cutWindow;
    if (!w || !Number.isFinite(w.to)) throw new Error(`the outage did not happen (run ended at step ${faulty.history.length} before step ${cutAfter}, or was not restored)`);
    // The clean run over the same stretch of steps (the faulty run's cut began at step cutAfter).
    const h = clean.history;
    const a = h[cutAfter - 1]?.t ?? h[0]!.t;
    const b = h[Math.min(h.length - 1, cutAfter - 1 + Math.max(5, Math.round((w.to - w.from) * 2)))]!.t;
    const cleanRate = rate(h, a, b);
    const cutRate = rate(faulty.history, w.from, w.to);
    const firstAfter = faulty.history.find((x) => x.t > w.from);
    const row = { clean: cleanRate, cut: cutRate, ratio: cutRate / cleanRate, firstStepAfterCutS: firstAfter ? firstAfter.t - w.from : NaN, stepsWhileCut: faulty.history.filter((x) => x.t > w.from && x.t <= w.to).length };
    ctx.log(`silent tab repeat ${rep + 1}: ${cleanRate.toFixed(2)} steps/s with 3 tabs, ${cutRate.toFixed(2)} steps/s while one tab's network was cut for ${(w.to - w.from).toFixed(1)} s (${row.ratio.toFixed(2)}x); first step after the cut ended ${row.firstStepAfterCutS.toFixed(2)} s after it`);
    rows.push(row);
  }
  const s = {
    clean: round(median(rows.map((r) => r.clean)), 3),
    cut: round(median(rows.map((r) => r.cut)), 3),
    ratio: round(median(rows.map((r) => r.ratio)), 3),
    firstStepAfterCutS: round(median(rows.map((r) => r.firstStepAfterCutS)), 2),
  };
  const markdown = [
    `MLP on embedded MNIST, global batch 128, 3 headless Chromium tabs, ${steps} steps; in the faulty run the third tab's network is cut (bytes dropped both ways, no close: bench/relay.ts) at step ${cutAfter} for ${seconds} s, then restored (it rejoins under its reconnect token). The coordinator pings tab sockets every 250 ms; a tab silent for 750 ms is suspected and its shard goes at once as a backup copy to an idle tab, and one silent for 1.5 s is dropped (coordinator/server/heartbeat.ts). ${repeats} repeat${repeats > 1 ? 's' : ''}, medians.`,
    '',
    table(
      ['', 'steps/s', 'vs no outage'],
      [
        ['3 tabs, no outage (same steps)', s.clean, '1x'],
        ['3 tabs, one cut', s.cut, `${s.ratio}x`],
      ],
    ),
    '',
    `The first step to end after the cut took ${s.firstStepAfterCutS} s from the cut (suspected after 750 ms of silence + up to a ping interval, then the backup copy computed by another tab).`,
  ].join('\n');
  return {
    data: { steps, cutAfter, seconds, summary: s, repeats: rows },
    markdown,
    svgs: {},
    headline: [{ label: 'steps/s while one of 3 tabs is offline vs none', value: `${s.ratio}x (${s.cut} vs ${s.clean}); first step after the cut ${s.firstStepAfterCutS} s` }],
  };
}
