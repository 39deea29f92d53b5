import type { BenchContext, ItemResult } from '../context';
import { machine, table } from '../context';
import { median, round } from '../stats';
import { lineChart } from '../svg';
import { TabBrowser, type TabRun } from '../tabs';

/**
 * Item 6: time to accuracy on embedded MNIST, 1 tab vs 4 tabs, MLP and CNN.
 * The validation pass at the end of each epoch gives the points; the time of
 * a point is the training time (from the first step) when its epoch ended.
 */
interface Curve {
  points: [number, number][];
  timeToTarget: number | null;
  best: number;
  testAccuracy: number | null;
}

function curve(r: TabRun, target: number): Curve {
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

export async function accuracyItem(ctx: BenchContext): Promise<ItemResult> {
  const models = [
    { model: 'mlp', epochs: ctx.quick ? 2 : 5, target: 0.9 },
    { model: 'cnn', epochs: ctx.quick ? 1 : 3, target: 0.9 },
  ];
  const fleets = [1, 4];
  const repeats = ctx.quick ? 1 : ctx.repeats;
  const browser = await TabBrowser.launch(ctx.chromium!, () => undefined);
  const runs: { model: string; tabs: number; repeat: number; curve: Curve }[] = [];
  try {
    for (let rep = 0; rep < repeats; rep++) {
      for (const m of models) {
        for (const tabs of fleets) {
          const r = await browser.run({ dataset: 'mnist', model: m.model, epochs: m.epochs, batchSize: 128, seed: 1 + rep }, tabs, 1_200_000);
          const c = curve(r, m.target);
          runs.push({ model: m.model, tabs, repeat: rep + 1, curve: c });
          ctx.log(`accuracy ${m.model} ${tabs} tab(s): ${c.timeToTarget === null ? `not at ${m.target} (best ${c.best.toFixed(3)})` : `val ${m.target} in ${c.timeToTarget} s`}, test ${c.testAccuracy?.toFixed(4)}, curve ${JSON.stringify(c.points)}`);
        }
      }
    }
  } finally {
    await browser.close();
  }
  const rows = models.flatMap((m) =>
    fleets.map((tabs) => {
      const rs = runs.filter((x) => x.model === m.model && x.tabs === tabs);
      const times = rs.map((x) => x.curve.timeToTarget).filter((x): x is number => x !== null);
      return {
        model: m.model,
        tabs,
        epochs: m.epochs,
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
    `Embedded MNIST, global batch 128, Adam, validation accuracy at the end of each epoch; 1 tab vs 4 tabs in one headless Chromium on ${machine().cores} cores${repeats > 1 ? `, medians over ${repeats} repeats` : ', one run each'}${ctx.quick ? ' (quick: epochs capped)' : ''}.`,
    '',
    table(
      ['model', 'tabs', 'epochs', 'target val acc', 'reached', 'seconds to target', 'best val acc', 'test acc', 'seconds for all epochs'],
      rows.map((r) => [r.model, r.tabs, r.epochs, r.target, r.reached, r.timeToTarget ?? '-', r.bestVal, r.testAccuracy, r.lastEpochSeconds]),
    ),
    '',
    `1 tab / 4 tabs time ratio (to target, or for all epochs when the target was not reached): MLP ${speedup('mlp')}x, CNN ${speedup('cnn')}x (above 1 means 4 tabs were faster).`,
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
    headline: rows.map((r) => ({ label: `time to ${r.target} val acc, ${r.model} ${r.tabs} tab${r.tabs > 1 ? 's' : ''}`, value: r.timeToTarget !== null ? `${r.timeToTarget} s (test ${r.testAccuracy})` : `not reached in ${r.epochs} epoch(s) (best ${r.bestVal}, ${r.lastEpochSeconds} s)` })),
  };
}
