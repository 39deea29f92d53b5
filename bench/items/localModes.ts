import type { ConfigInput } from '../../shared/config/schema';
import type { BenchContext, ItemResult } from '../context';
import { machine, table } from '../context';
import { median, round } from '../stats';
import { lineChart } from '../svg';
import type { TabRun } from '../tabs';

/**
 * Issue 11's demo: sync vs async vs local steps (DiLoCo, H = 4, 16, 64) on
 * the same job with real WebGL tabs (4, and 1): embedded MNIST, MLP, global
 * batch 128 in every mode (a local round of H inner steps consumes H global
 * batches), the same number of epochs, so the runs are comparable sample for
 * sample. Per run: samples/s over the training's wall time,
 * seconds of training to a validation accuracy, test accuracy, and bytes
 * through the coordinator per training sample; each mode's ratio to sync on
 * the same tabs. The modes of one tab count run back to back.
 */
const TARGET = 0.9;
const BATCH = 128;
export const LOCAL_MODES: { name: string; config: Partial<ConfigInput> }[] = [
  { name: 'sync', config: { mode: 'sync' } },
  { name: 'async (staleness 4)', config: { mode: 'async', maxStaleness: 4 } },
  { name: 'local H=4', config: { mode: 'local', localSteps: 4 } },
  { name: 'local H=16', config: { mode: 'local', localSteps: 16 } },
  { name: 'local H=64', config: { mode: 'local', localSteps: 64 } },
];

export interface ModeFigures {
  /** Training samples over the wall time from the first step's start to the last one's end (with the validation passes between epochs). */
  samplesPerSec: number;
  /** [seconds of training, val accuracy] after each epoch. */
  points: [number, number][];
  timeToTarget: number | null;
  testAccuracy: number | null;
  rounds: number;
}

/**
 * The figures of one run. A history row is a step (sync, async) or a round
 * of up to H global batches (local); an evaluation names the global step it
 * followed, so its time is that of the last row at or before that step.
 */
export function modeFigures(r: Pick<TabRun, 'history' | 'evals' | 'testAccuracy'>, target: number): ModeFigures {
  const h = r.history;
  const samples = h.reduce((a, x) => a + x.samples, 0);
  const t0 = h[0] ? h[0].t - (h[0].ms + h[0].updateMs) / 1000 : 0;
  // Wall time from the first step's start to the last one's end: async steps overlap, so their durations do not add up.
  const span = h.length ? h.at(-1)!.t - t0 : 0;
  const points: [number, number][] = [];
  for (const e of r.evals) {
    if (e.split !== 'val' || e.pass !== 'epoch' || e.valAccuracy === null) continue;
    const row = [...h].reverse().find((x) => x.step <= e.step);
    if (row) points.push([round(row.t - t0, 2), e.valAccuracy]);
  }
  const hit = points.find((p) => p[1] >= target);
  return { samplesPerSec: span > 0 ? samples / span : NaN, points, timeToTarget: hit ? hit[0] : null, testAccuracy: r.testAccuracy, rounds: h.length };
}

interface Run extends ModeFigures {
  mode: string;
  tabs: number;
  repeat: number;
  trainingSeconds: number;
}

export async function localModesItem(ctx: BenchContext): Promise<ItemResult> {
  const epochs = ctx.quick ? 1 : 2;
  const repeats = ctx.quick ? 1 : ctx.repeats;
  const tabCounts = [4, 1];
  const browser = await ctx.tabBrowser();
  const runs: Run[] = [];
  for (let rep = 0; rep < repeats; rep++) {
    for (const tabs of tabCounts) {
      for (const m of LOCAL_MODES) {
        const config: ConfigInput = { dataset: 'mnist', model: 'mlp', epochs, batchSize: BATCH, optimizer: 'adam', seed: 1 + rep, ...m.config };
        const r = await browser.run(config, tabs, 1_200_000, rep);
        const f = modeFigures(r, TARGET);
        const run: Run = { ...f, mode: m.name, tabs, repeat: rep + 1, trainingSeconds: round(r.phases.training, 1) };
        runs.push(run);
        ctx.log(
          `localModes ${tabs} tab(s) ${m.name}: ${f.samplesPerSec.toFixed(0)} samples/s, ${f.rounds} updates, test ${f.testAccuracy?.toFixed(4) ?? '-'}, val ${TARGET} ${f.timeToTarget === null ? 'not reached' : `in ${f.timeToTarget} s`}, curve ${JSON.stringify(f.points)}, training ${run.trainingSeconds} s`,
        );
      }
    }
  }
  const rows = tabCounts.flatMap((tabs) => {
    const of = (mode: string): Run[] => runs.filter((r) => r.tabs === tabs && r.mode === mode);
    const syncSps = median(of('sync').map((r) => r.samplesPerSec));
    return LOCAL_MODES.map((m) => {
      const rs = of(m.name);
      const sps = median(rs.map((r) => r.samplesPerSec));
      const times = rs.map((r) => r.timeToTarget).filter((x): x is number => x !== null);
      return {
        tabs,
        mode: m.name,
        samplesPerSec: round(sps, 1),
        vsSync: round(sps / syncSps, 2),
        updates: rs[0]!.rounds,
        timeToTarget: times.length === rs.length ? round(median(times), 1) : null,
        reached: `${times.length}/${rs.length}`,
        epochAccuracy: rs[0]!.points.map((p) => `${p[1].toFixed(3)} (${p[0]} s)`).join(', '),
        testAccuracy: round(median(rs.map((r) => r.testAccuracy ?? NaN)), 4),
      };
    });
  });
  const m = machine();
  const markdown = [
    `${tabCounts.join(' and ')} WebGL tab(s) (SwiftShader) in one headless Chromium on ${m.cores} cores, load average ${m.loadAverage} at the start: the machine was shared with other work, so absolute figures are low and noisy; the ratios to sync (same tabs, same run) are the figures to read. Embedded MNIST (8000 train), MLP 784-128-10, global batch ${BATCH} in every mode, ${epochs} epoch(s); inner optimizer Adam (lr 0.001) in the tabs; local mode's outer step Nesterov lr 0.7 momentum 0.9; async max staleness 4. samples/s = training samples over the wall time from the first step's start to the last step's (round's) end, the validation passes between epochs included; ${repeats > 1 ? `medians over ${repeats} repeats` : 'one run each'}.`,
    '',
    table(
      ['tabs', 'mode', 'samples/s', 'vs sync', 'updates', `s to val acc ${TARGET}`, 'val acc by epoch (s of training)', 'test acc'],
      rows.map((r) => [r.tabs, r.mode, r.samplesPerSec, `${r.vsSync}x`, r.updates, r.timeToTarget ?? `not reached (${r.reached})`, r.epochAccuracy, r.testAccuracy]),
    ),
  ].join('\n');
  const svgs = {
    localModes: lineChart({
      title: `Sync vs async vs local steps, ${tabCounts[0]} tabs: validation accuracy vs time (first repeat)`,
      yLabel: 'val accuracy',
      xLabel: 'seconds of training',
      yMax: 1,
      series: runs.filter((r) => r.repeat === 1 && r.tabs === tabCounts[0]).map((r) => ({ name: r.mode, points: r.points })),
    }),
  };
  return {
    data: { tabs: tabCounts, target: TARGET, epochs, repeats, batchSize: BATCH, rows, runs },
    markdown,
    svgs,
    headline: rows.map((r) => ({ label: `${r.tabs} tab(s), ${r.mode}: samples/s (vs sync), test acc`, value: `${r.samplesPerSec} (${r.vsSync}x), test ${r.testAccuracy}` })),
  };
}
