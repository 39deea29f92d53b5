import type { BenchContext, ItemResult } from '../context';
import { machine, table } from '../context';
import { median, round } from '../stats';
import { lineChart } from '../svg';
import { steadySamplesPerSec } from '../tabs';
import { curve, type Curve } from './accuracy';

/**
 * Issue 4's demo: sync vs async on the same job with 4 Chromium tabs:
 * embedded MNIST, MLP, batch 128, Adam; time to a validation accuracy (the
 * pass at each epoch's end), samples/s, and async's staleness histogram.
 * Both modes run back to back in each repeat.
 */
const TABS = 4;
const TARGET = 0.9;
const MODES = [
  { name: 'sync', config: { mode: 'sync' as const } },
  { name: 'async, max staleness 4', config: { mode: 'async' as const, maxStaleness: 4 } },
];

interface ModeRun {
  mode: string;
  repeat: number;
  curve: Curve;
  samplesPerSec: number;
  /** histogram[s]: updates applied s versions after the weights they were computed on (async). */
  staleness: number[];
}

export async function modesItem(ctx: BenchContext): Promise<ItemResult> {
  const epochs = 3;
  const repeats = ctx.quick ? 1 : ctx.repeats;
  const browser = await ctx.tabBrowser();
  const runs: ModeRun[] = [];
  {
    for (let rep = 0; rep < repeats; rep++) {
      for (const m of MODES) {
        const r = await browser.run({ dataset: 'mnist', model: 'mlp', epochs, batchSize: 128, optimizer: 'adam', seed: 1 + rep, ...m.config }, TABS, 1_200_000, rep);
        const staleness: number[] = [];
        for (const h of r.history) if (h.staleness !== undefined) staleness[h.staleness] = (staleness[h.staleness] ?? 0) + 1;
        const run: ModeRun = { mode: m.name, repeat: rep + 1, curve: curve(r, TARGET), samplesPerSec: steadySamplesPerSec(r.history, 5), staleness: Array.from(staleness, (x) => x ?? 0) };
        runs.push(run);
        ctx.log(`modes ${m.name}: ${run.samplesPerSec.toFixed(0)} samples/s, val ${TARGET} ${run.curve.timeToTarget === null ? 'not reached' : `in ${run.curve.timeToTarget} s`}, curve ${JSON.stringify(run.curve.points)}${staleness.length ? `, staleness ${JSON.stringify(run.staleness)}` : ''}`);
      }
    }
  }
  const rows = MODES.map((m) => {
    const rs = runs.filter((r) => r.mode === m.name);
    const times = rs.map((r) => r.curve.timeToTarget).filter((x): x is number => x !== null);
    const hist = rs[0]!.staleness;
    return {
      mode: m.name,
      samplesPerSec: round(median(rs.map((r) => r.samplesPerSec)), 1),
      reached: `${times.length}/${rs.length}`,
      timeToTarget: times.length === rs.length ? round(median(times), 1) : null,
      epochAccuracy: rs[0]!.curve.points.map((p) => `${p[1].toFixed(3)} (${p[0]} s)`).join(', '),
      testAccuracy: round(median(rs.map((r) => r.curve.testAccuracy ?? NaN)), 4),
      staleness: hist.length ? `[${hist.join(', ')}]` : '-',
    };
  });
  const [sync, asyncRow] = rows as [(typeof rows)[0], (typeof rows)[0]];
  const markdown = [
    `${TABS} tabs in one headless Chromium on ${machine().cores} cores; embedded MNIST, MLP 784-128-10, global batch 128, Adam, ${epochs} epochs, validation accuracy after each epoch (seconds of training); ${repeats > 1 ? `medians over ${repeats} repeats` : 'one run each'}, the two modes back to back.`,
    '',
    table(
      ['mode', 'samples/s', `seconds to val acc ${TARGET}`, 'val acc by epoch (first repeat)', 'test acc', 'staleness histogram (first repeat)'],
      rows.map((r) => [r.mode, r.samplesPerSec, r.timeToTarget ?? `not reached (${r.reached})`, r.epochAccuracy, r.testAccuracy, r.staleness]),
    ),
    '',
    `async / sync samples/s: ${round(asyncRow.samplesPerSec / sync.samplesPerSec, 2)}x.`,
  ].join('\n');
  const svgs = {
    modes: lineChart({
      title: `Sync vs async, ${TABS} tabs: validation accuracy vs time (first repeat)`,
      yLabel: 'val accuracy',
      xLabel: 'seconds of training',
      yMax: 1,
      series: runs.filter((r) => r.repeat === 1).map((r) => ({ name: r.mode, points: r.curve.points })),
    }),
  };
  return {
    data: { tabs: TABS, target: TARGET, epochs, repeats, rows, runs },
    markdown,
    svgs,
    headline: rows.map((r) => ({ label: `${TABS} tabs, ${r.mode}: samples/s, time to val acc ${TARGET}`, value: `${r.samplesPerSec} samples/s, ${r.timeToTarget !== null ? `${r.timeToTarget} s` : 'not reached'} (test ${r.testAccuracy})` })),
  };
}
