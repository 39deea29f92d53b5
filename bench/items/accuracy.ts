import type { BenchContext, ItemResult } from '../context';
import { machine, table } from '../context';
import { median, round } from '../stats';
import { lineChart } from '../svg';
import { describePhases, type TabRun } from '../tabs';

/**
 * Item 6: time to accuracy on embedded MNIST, 1 tab vs 4 tabs, MLP and CNN.
 * The validation pass at the end of each epoch gives the points; the time of
 * a point is the training time (from the first step) when its epoch ended.
 */
export interface Curve {
  points: [number, number][];
  timeToTarget: number | null;
  best: number;
  testAccuracy: number | null;
}

export function curve(r: TabRun, target: number): Curve {
  const t0 = r.history[0] ? r.history[0].t - (r.history[0].ms + r.history[0].updateMs) / 1000 : 0;
  const points: [number, number][] = [];
  for (const e of r.evals) {
    if (e.split !== 'val' || e.valAccuracy === null) continue;
    const h = r.history[Math.max(0, e.step - 1)];
    if (h) points.push([round(h.t - t0, 2), e.valAccuracy]);
  }
  if (points.length === 0 && r.valAccuracy !== null && r.history.length) points.push([round(r.history.at(-1)!.t - t0, 2), r.valAccuracy]);
  const hit = points.find((p) => p[1] >= target);
  return { points, timeToTarget: hit ? hit[0] : null, best: Math.max(0, ...points.map((p) => p[1])), testAccuracy: r.testAccuracy };
}

/**
 * Quick: shorter runs and lower targets (4 SwiftShader tabs on 2 cores pay
 * a long start-up and compile stalls per run, and the CNN's steps are slow);
 * the MLP's 32 steps are the scaling item's own 1- and 4-tab runs (the same
 * configuration: TabBrowser measures it once).
 */
function plan(quick: boolean): { model: string; target: number; length: { epochs: number } | { steps: number }; what: string }[] {
  return quick
    ? [
        { model: 'mlp', target: 0.8, length: { steps: 32 }, what: '32 steps' },
        { model: 'cnn', target: 0.6, length: { steps: 16 }, what: '16 steps' },
      ]
    : [
        { model: 'mlp', target: 0.9, length: { epochs: 5 }, what: '5 epochs' },
        { model: 'cnn', target: 0.9, length: { epochs: 3 }, what: '3 epochs' },
      ];
}

export async function accuracyItem(ctx: BenchContext): Promise<ItemResult> {
  const models = plan(ctx.quick);
  const fleets = [1, 4];
  const repeats = ctx.quick ? 1 : ctx.repeats;
  const browser = await ctx.tabBrowser();
  const runs: { model: string; tabs: number; repeat: number; curve: Curve }[] = [];
  for (let rep = 0; rep < repeats; rep++) {
    for (const m of models) {
      for (const tabs of fleets) {
        // The keys and values of scaling.ts's config, so that quick runs are shared.
        const config = { dataset: 'mnist', model: m.model, batchSize: 128, optimizer: 'adam' as const, seed: 1 + rep, ...m.length };
        const r = await browser.run(config, tabs, 1_200_000, rep + 1);
        const c = curve(r, m.target);
        runs.push({ model: m.model, tabs, repeat: rep + 1, curve: c });
        ctx.log(`accuracy ${m.model} ${tabs} tab(s): ${c.timeToTarget === null ? `not at ${m.target} (best ${c.best.toFixed(3)})` : `val ${m.target} in ${c.timeToTarget} s`}, test ${c.testAccuracy?.toFixed(4)}, curve ${JSON.stringify(c.points)}; run ${describePhases(r)}`);
      }
    }
  }
  const rows = models.flatMap((m) =>
    fleets.map((tabs) => {
      const rs = runs.filter((x) => x.model === m.model && x.tabs === tabs);
      const times = rs.map((x) => x.curve.timeToTarget).filter((x): x is number => x !== null);
      return {
        model: m.model,
        tabs,
        length: m.what,
        target: m.target,
        reached: `${times.length}/${rs.length}`,
        timeToTarget: times.length === rs.length ? round(median(times), 1) : null,
        bestVal: round(median(rs.map((x) => x.curve.best)), 4),
        testAccuracy: round(median(rs.map((x) => x.curve.testAccuracy ?? NaN)), 4),
        lastEpochSeconds: round(median(rs.map((x) => x.curve.points.at(-1)?.[0] ?? NaN)), 1),
      };
    }),
  );
  const speedup = (model: string): number | null => {
    const a = rows.find((r) => r.model === model && r.tabs === 1)!;
    const b = rows.find((r) => r.model === model && r.tabs === 4)!;
    return a.timeToTarget !== null && b.timeToTarget !== null ? round(a.timeToTarget / b.timeToTarget, 2) : round(a.lastEpochSeconds / b.lastEpochSeconds, 2);
  };
  const markdown = [
    `Embedded MNIST, global batch 128, Adam, validation accuracy at the end of each epoch and of the run; 1 tab vs 4 tabs in one headless Chromium on ${machine().cores} cores${repeats > 1 ? `, medians over ${repeats} repeats` : ', one run each'}. Seconds are training time from the first step.${ctx.quick ? ' Quick: shorter runs and lower targets; the MLP runs are the scaling item\'s 1- and 4-tab runs (the same configuration, measured once).' : ''}`,
    '',
    table(
      ['model', 'tabs', 'run', 'target val acc', 'reached', 'seconds to target', 'best val acc', 'test acc', 'seconds for the whole run'],
      rows.map((r) => [r.model, r.tabs, r.length, r.target, r.reached, r.timeToTarget ?? '-', r.bestVal, r.testAccuracy, r.lastEpochSeconds]),
    ),
    '',
    `1 tab / 4 tabs time ratio (to target, or for the whole run when the target was not reached): MLP ${speedup('mlp')}x, CNN ${speedup('cnn')}x (above 1 means 4 tabs were faster).`,
  ].join('\n');
  const svgs = {
    accuracy: lineChart({
      title: 'Validation accuracy vs training time (first repeat)',
      yLabel: 'val accuracy',
      xLabel: 'seconds of training',
      yMax: 1,
      series: runs.filter((r) => r.repeat === 1).map((r) => ({ name: `${r.model} ${r.tabs} tab${r.tabs > 1 ? 's' : ''}`, points: r.curve.points })),
    }),
  };
  return {
    data: { rows, runs, repeats },
    markdown,
    svgs,
    headline: rows.map((r) => ({ label: `time to ${r.target} val acc, ${r.model} ${r.tabs} tab${r.tabs > 1 ? 's' : ''}`, value: r.timeToTarget !== null ? `${r.timeToTarget} s (test ${r.testAccuracy})` : `not reached in ${r.length} (best ${r.bestVal}, ${r.lastEpochSeconds} s)` })),
  };
}
