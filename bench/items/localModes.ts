import type { ConfigInput } from '../../shared/config/schema';
import type { BenchContext, ItemResult } from '../context';
import { machine, table } from '../context';
import { round } from '../stats';
import { lineChart } from '../svg';
import type { TabRun } from '../tabs';

/**
 * Issue 11's demo: sync vs async vs local steps (DiLoCo, H = 4, 16, 64) with
 * 4 real WebGL tabs, each run stopped at a validation accuracy
 * (--target-accuracy: MNIST MLP 0.95, CNN 0.97) under an epoch cap. The
 * same job in every mode: embedded MNIST, global batch 128 (a local round
 * of H inner steps consumes H global batches), the same optimizer and lr
 * (the inner one, in the tabs, in local mode), so the runs are comparable
 * sample for sample. Per run: seconds of training to the target, bytes
 * through the coordinator per training sample, final test accuracy,
 * samples/s, updates; each mode's ratio of time to target to sync's, from
 * the same bench run. The modes of one job run back to back.
 */
const BATCH = 128;
export const LOCAL_MODES: { name: string; config: Partial<ConfigInput> }[] = [
  { name: 'sync', config: { mode: 'sync' } },
  { name: 'async (staleness 4)', config: { mode: 'async', maxStaleness: 4 } },
  { name: 'local H=4', config: { mode: 'local', localSteps: 4 } },
  { name: 'local H=16', config: { mode: 'local', localSteps: 16 } },
  { name: 'local H=64', config: { mode: 'local', localSteps: 64 } },
];

/** A model's job: its target, epoch cap, lr (the same in every mode), the modes run and the tab counts. */
export interface LocalModesJob {
  name: string;
  model: 'mlp' | 'cnn';
  target: number;
  epochs: number;
  lr: number;
  modes: string[];
  tabs: number;
  /** Per-run timeout (ms): a run past it is reported as such and the item goes on. */
  timeoutMs: number;
}

/**
 * The jobs as measured. The MLP's lr is 0.003 (Adam), not the default
 * 0.001, in every mode: at 0.001 the MLP needs ~11 epochs of the 8000
 * training samples to 0.95, at 0.003 4 (one Node process, sync: 0.935,
 * 0.945, 0.945, 0.953), which four SwiftShader tabs on this machine train in
 * a bench's time. The CNN uses the same lr; its 4-tab sync steps take 2-6 s
 * in SwiftShader here (an epoch is 63 of them), so it runs two modes.
 */
export const LOCAL_MODES_JOBS: LocalModesJob[] = [
  { name: 'MNIST MLP', model: 'mlp', target: 0.95, epochs: 10, lr: 0.003, modes: LOCAL_MODES.map((m) => m.name), tabs: 4, timeoutMs: 900_000 },
  { name: 'MNIST MLP, 1 tab (reference)', model: 'mlp', target: 0.95, epochs: 10, lr: 0.003, modes: ['sync'], tabs: 1, timeoutMs: 600_000 },
  { name: 'MNIST CNN', model: 'cnn', target: 0.97, epochs: 3, lr: 0.003, modes: ['sync', 'local H=16'], tabs: 4, timeoutMs: 1_200_000 },
];

export interface ModeFigures {
  /** Training samples over the wall time from the first step's start to the last one's end (with the validation passes between epochs). */
  samplesPerSec: number;
  /** [seconds of training, val accuracy] after each epoch. */
  points: [number, number][];
  timeToTarget: number | null;
  testAccuracy: number | null;
  rounds: number;
  /** Training samples used (every row's). */
  samples: number;
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
  return { samplesPerSec: span > 0 ? samples / span : NaN, points, timeToTarget: hit ? hit[0] : null, testAccuracy: r.testAccuracy, rounds: h.length, samples };
}

/** Bytes through the coordinator per training sample: gradient (weight-change) frames in plus weights payloads out, evaluation's included. */
export function bytesPerSample(wire: TabRun['wire'], samples: number): number {
  return samples > 0 ? (wire.gradBytesIn + wire.weightsBytesOut) / samples : NaN;
}

interface Run extends ModeFigures {
  job: string;
  mode: string;
  tabs: number;
  trainingSeconds: number;
  bytesPerSample: number;
  wire: TabRun['wire'];
  epochsRun: number;
  error: string | null;
  /** 1-minute load average just before and just after the run. */
  load: [number, number];
}

function jobConfig(j: LocalModesJob, mode: string): ConfigInput {
  const m = LOCAL_MODES.find((x) => x.name === mode)!;
  return { dataset: 'mnist', model: j.model, epochs: j.epochs, batchSize: BATCH, optimizer: 'adam', lr: j.lr, seed: 1, targetAccuracy: j.target, ...m.config };
}

async function measure(ctx: BenchContext, j: LocalModesJob, mode: string): Promise<Run> {
  const browser = await ctx.tabBrowser();
  const before = machine().loadAverage;
  const base = { job: j.name, mode, tabs: j.tabs };
  try {
    const r = await browser.run(jobConfig(j, mode), j.tabs, j.timeoutMs, 0);
    const f = modeFigures(r, j.target);
    const bps = bytesPerSample(r.wire, f.samples);
    const run: Run = { ...base, ...f, trainingSeconds: round(r.phases.training, 1), bytesPerSample: round(bps, 0), wire: r.wire, epochsRun: f.points.length, error: null, load: [before, machine().loadAverage] };
    ctx.log(
      `localModes ${j.name}, ${j.tabs} tab(s), ${mode}: val ${j.target} ${f.timeToTarget === null ? `not reached (best ${Math.max(...f.points.map((p) => p[1]))})` : `in ${f.timeToTarget} s`}, ${run.bytesPerSample} B/sample, test ${f.testAccuracy?.toFixed(4) ?? '-'}, ${f.samplesPerSec.toFixed(0)} samples/s, ${f.rounds} updates, curve ${JSON.stringify(f.points)}, load ${run.load.join(' -> ')}`,
    );
    return run;
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    ctx.log(`localModes ${j.name}, ${j.tabs} tab(s), ${mode} failed: ${error}`);
    return { ...base, samplesPerSec: NaN, points: [], timeToTarget: null, testAccuracy: null, rounds: 0, samples: 0, trainingSeconds: NaN, bytesPerSample: NaN, wire: { gradBytesIn: 0, weightsBytesOut: 0 }, epochsRun: 0, error, load: [before, machine().loadAverage] };
  }
}

/**
 * Validation error (1 - accuracy) against seconds of training, one line per mode, and the target as a flat line:
 * on an accuracy axis from 0 the curves of every mode sit in the top tenth, under the legend.
 */
export function curveChart(j: Pick<LocalModesJob, 'name' | 'tabs' | 'target'>, runs: readonly Pick<Run, 'mode' | 'points'>[]): string {
  const withCurve = runs.filter((r) => r.points.length > 0);
  const errors = withCurve.flatMap((r) => r.points.map((p) => 1 - p[1]));
  const xMax = Math.max(1, ...withCurve.flatMap((r) => r.points.map((p) => p[0])));
  return lineChart({
    title: `${j.name}, ${j.tabs} tabs: validation error vs seconds of training`,
    yLabel: 'val error (1 - accuracy)',
    xLabel: 'seconds of training (each point: a validation pass after an epoch)',
    yMax: Math.min(1, Math.ceil((Math.max(1 - j.target, ...errors) * 1.15) / 0.05) * 0.05),
    series: [
      ...withCurve.map((r) => ({ name: r.mode, points: r.points.map(([t, a]): [number, number] => [t, round(1 - a, 4)]) })),
      { name: `target ${j.target}`, points: [[0, round(1 - j.target, 4)], [xMax, round(1 - j.target, 4)]] },
    ],
  });
}

/** The table rows of one job: each mode's figures and its time to target over sync's. */
export function jobRows(runs: readonly Run[]): (string | number)[][] {
  const sync = runs.find((r) => r.mode === 'sync');
  return runs.map((r) => {
    const best = r.points.length ? Math.max(...r.points.map((p) => p[1])) : null;
    const time = r.error ? `failed: ${r.error.slice(0, 80)}` : r.timeToTarget !== null ? `${r.timeToTarget} s (epoch ${r.epochsRun})` : `not reached in ${r.epochsRun} epochs (best ${best?.toFixed(3) ?? '-'})`;
    const ratio = sync && sync.timeToTarget !== null && r.timeToTarget !== null ? `${round(r.timeToTarget / sync.timeToTarget, 2)}x` : '-';
    const bytesVsSync = sync && sync.bytesPerSample > 0 && r.bytesPerSample > 0 ? ` (${round(r.bytesPerSample / sync.bytesPerSample, 3)}x)` : '';
    return [r.tabs, r.mode, time, ratio, Number.isFinite(r.bytesPerSample) ? `${r.bytesPerSample.toLocaleString('en')}${bytesVsSync}` : '-', r.testAccuracy ?? '-', Number.isFinite(r.samplesPerSec) ? round(r.samplesPerSec, 1) : '-', r.rounds, `${r.load[0]} -> ${r.load[1]}`];
  });
}

/** The MLP jobs (4 tabs, every mode; 1 tab, sync). --quick: 4 tabs, sync and local H=16, 2 epochs (a smoke run, not the figures). */
export function localModesItem(ctx: BenchContext): Promise<ItemResult> {
  const mlp = LOCAL_MODES_JOBS.filter((j) => j.model === 'mlp');
  return localModesOf(ctx, ctx.quick ? [{ ...mlp[0]!, epochs: 2, modes: ['sync', 'local H=16'] }] : mlp);
}

/** The CNN job: an item of its own, since four SwiftShader tabs take minutes an epoch of it. */
export function localModesCnnItem(ctx: BenchContext): Promise<ItemResult> {
  return localModesOf(ctx, LOCAL_MODES_JOBS.filter((j) => j.model === 'cnn'));
}

async function localModesOf(ctx: BenchContext, jobs: LocalModesJob[]): Promise<ItemResult> {
  const m = machine();
  const runs: Run[] = [];
  for (const j of jobs) for (const mode of j.modes) runs.push(await measure(ctx, j, mode));
  const sections = jobs.map((j) => {
    const rs = runs.filter((r) => r.job === j.name);
    return [
      `### ${j.name}: ${j.tabs} WebGL tab(s), to val acc ${j.target} (at most ${j.epochs} epochs)`,
      '',
      table(['tabs', 'mode', `s of training to val acc ${j.target}`, 'vs sync', 'bytes / training sample (vs sync)', 'test acc', 'samples/s', 'updates', 'load (1 min) before -> after'], jobRows(rs)),
    ].join('\n');
  });
  const markdown = [
    `4 WebGL tabs (SwiftShader) in one headless Chromium driven over DevTools (bench/tabs.ts), on ${m.cores} cores, load average ${m.loadAverage} at the start: the machine was shared with other work, so absolute figures are noisy; read the ratios to sync, measured in the same bench run, one run per mode. Embedded MNIST (8000 train, 1000 validation, 1000 test), global batch ${BATCH} in every mode; Adam with the job's lr in every mode (local mode: the inner optimizer, in the tabs; outer Nesterov lr 0.7 momentum 0.9); async max staleness 4. Each run stops at the first validation pass (after an epoch) reaching the target (\`--target-accuracy\`). Seconds of training = wall time from the first step's start to the end of the last step before that pass (earlier validation passes included). Bytes = gradient (local: weight-change) frames into the coordinator + weights payloads out with every task (evaluation's included), over the training samples used. samples/s = training samples over the same wall time.`,
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
  const svgs = Object.fromEntries(jobs.filter((j) => j.modes.length > 1).map((j) => [`localModes-${j.model}`, curveChart(j, runs.filter((r) => r.job === j.name))]));
  return {
    data: { jobs, batchSize: BATCH, runs },
    markdown,
    svgs,
    headline: runs.map((r) => {
      const sync = runs.find((x) => x.job === r.job && x.mode === 'sync');
      const ratio = sync?.timeToTarget && r.timeToTarget !== null ? ` (${round(r.timeToTarget / sync.timeToTarget, 2)}x sync)` : '';
      return { label: `${r.job}, ${r.tabs} tab(s), ${r.mode}: s to target, bytes/sample, test acc`, value: `${r.timeToTarget ?? 'not reached'}${ratio}, ${r.bytesPerSample}, ${r.testAccuracy ?? '-'}` };
    }),
  };
}
