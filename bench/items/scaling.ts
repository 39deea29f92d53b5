import type { BenchContext, ItemResult } from '../context';
import { machine, table } from '../context';
import { median, round } from '../stats';
import { barChart, stackedBars } from '../svg';
import { describePhases, steadySamplesPerSec, type TabRun } from '../tabs';
import { startRun } from '../run';
import type { HistoryEntry } from '../../coordinator/run/types';

/**
 * Items 1 and 2. Scaling: samples/s of the MLP on MNIST (global batch 128)
 * with 1, 2 and 4 headless Chromium tabs, against the same model, batch and
 * backend in one tab with plain tfjs and no coordinator. Every repeat runs
 * the baseline and the three fleets back to back, and the ratios are taken
 * within the repeat. Step anatomy: where the wall time of each step goes.
 */
const FLEETS = [1, 2, 4];

interface Anatomy {
  computeMs: number;
  transferMs: number;
  broadcastMs: number;
  aggregateMs: number;
  waitMs: number;
  optimizerMs: number;
  otherUpdateMs: number;
  totalMs: number;
  outsideShareMean: number;
  outsideShareCritical: number;
}

/** Steps of the whole run over twice its median step (new shard shapes compile WebGL programs), and their time beyond the median. */
function slowSteps(h: readonly HistoryEntry[]): { count: number; extraSeconds: number } {
  const ms = h.map((x) => x.ms + x.updateMs);
  const m = median(ms);
  const slow = ms.filter((x) => x > 2 * m);
  return { count: slow.length, extraSeconds: slow.reduce((a, x) => a + x - m, 0) / 1000 };
}

/** Median over steady steps of each part; parts of one step add up to its wall time. */
function anatomy(r: TabRun, skip: number): Anatomy {
  const parts = r.breakdown.slice(skip).map((b) => {
    const c = r.costs.get(b.step - 1) ?? { broadcastMs: 0, aggregateMs: 0, averageMs: 0, optimizerMs: 0 };
    const h = r.history[b.step - 1];
    const total = b.computeMs + b.transferMs + b.waitMs + b.updateMs;
    // Broadcast and aggregation happen inside the collect window: take them out of "transfer" (then "wait").
    let transfer = b.transferMs;
    let wait = b.waitMs;
    const coord = c.broadcastMs + c.aggregateMs;
    const fromTransfer = Math.min(transfer, coord);
    transfer -= fromTransfer;
    wait = Math.max(0, wait - (coord - fromTransfer));
    const optimizer = c.optimizerMs + c.averageMs;
    return {
      computeMs: b.computeMs,
      transferMs: transfer,
      broadcastMs: c.broadcastMs,
      aggregateMs: c.aggregateMs,
      waitMs: wait,
      optimizerMs: Math.min(optimizer, b.updateMs),
      otherUpdateMs: Math.max(0, b.updateMs - optimizer),
      totalMs: total,
      outsideShareMean: total > 0 ? 1 - b.computeMs / total : 0,
      outsideShareCritical: h && total > 0 ? 1 - Math.min(h.computeMs, total) / total : 0,
    };
  });
  const keys = ['computeMs', 'transferMs', 'broadcastMs', 'aggregateMs', 'waitMs', 'optimizerMs', 'otherUpdateMs', 'totalMs', 'outsideShareMean', 'outsideShareCritical'] as const;
  return Object.fromEntries(keys.map((k) => [k, round(median(parts.map((p) => p[k])), 3)])) as unknown as Anatomy;
}

export async function scalingItem(ctx: BenchContext): Promise<ItemResult> {
  // Quick: 32 steps, the same runs as item 6's quick MLP runs (TabBrowser measures them once).
  const length = { steps: ctx.quick ? 32 : 150 };
  const skip = ctx.quick ? 8 : 20;
  const repeats = ctx.quick ? 1 : ctx.repeats;
  const config = { dataset: 'mnist', model: 'mlp', batchSize: 128, optimizer: 'adam' as const, seed: 1, ...length };
  const probeRun = await startRun(config);
  const setup = probeRun.prepared.setup;
  const steps = probeRun.c.run.totalSteps;
  await probeRun.close();
  const browser = await ctx.tabBrowser();
  const rows: { repeat: number; baseline: number; baselineMedianStep: number; fleets: Record<number, number>; medianStep: Record<number, number>; anatomy: Record<number, Anatomy>; slow: Record<number, { count: number; extraSeconds: number }> }[] = [];
  let renderer = '';
  let backends: string[] = [];
  for (let rep = 0; rep < repeats; rep++) {
    const b = await browser.baseline({
      topology: setup.model.topology,
      inputShape: setup.dataset.meta.inputShape,
      classes: setup.dataset.meta.numClasses,
      trainSize: setup.dataset.meta.splits.train,
      batch: 128,
      steps,
      lr: setup.lr,
      loss: setup.loss,
    });
    const steady = b.stepMs.slice(skip);
    const baseline = (128 * steady.length * 1000) / steady.reduce((a, x) => a + x, 0);
    ctx.log(`scaling repeat ${rep + 1}: baseline (plain tfjs, one ${b.backend} tab) ${baseline.toFixed(0)} samples/s`);
    const row = { repeat: rep + 1, baseline, baselineMedianStep: (128 * 1000) / median(steady), fleets: {} as Record<number, number>, medianStep: {} as Record<number, number>, anatomy: {} as Record<number, Anatomy>, slow: {} as Record<number, { count: number; extraSeconds: number }> };
    for (const n of FLEETS) {
      const r = await browser.run(config, n, 600_000, rep + 1);
      renderer = r.renderer;
      backends = r.backends;
      row.fleets[n] = steadySamplesPerSec(r.history, skip);
      row.medianStep[n] = (128 * 1000) / median(r.history.slice(skip).map((h) => h.ms + h.updateMs));
      row.anatomy[n] = anatomy(r, skip);
      row.slow[n] = slowSteps(r.history);
      ctx.log(`scaling repeat ${rep + 1}: ${n} tab${n > 1 ? 's' : ''} ${row.fleets[n]!.toFixed(0)} samples/s (${(row.fleets[n]! / baseline).toFixed(2)}x baseline), step ${row.anatomy[n]!.totalMs.toFixed(1)} ms, ${(100 * row.anatomy[n]!.outsideShareCritical).toFixed(0)}% outside tab compute, ${row.slow[n]!.count} slow steps (+${row.slow[n]!.extraSeconds.toFixed(1)} s); run ${describePhases(r)}`);
    }
    rows.push(row);
  }
  // WebGL vs WebGPU in a Web Worker (where a tab computes): plain tfjs, and the tabtrain trainer's step part by part.
  const backendRows: { backend: string; baselineMs: number; tabStepMs: number; parts: Record<string, number>; error?: string }[] = [];
  for (const backend of ['webgl', 'webgpu']) {
    try {
      const opts = { topology: setup.model.topology, inputShape: setup.dataset.meta.inputShape, classes: setup.dataset.meta.numClasses, trainSize: setup.dataset.meta.splits.train, batch: 128, steps: 40, loss: setup.loss };
      const base = await browser.baseline({ ...opts, lr: setup.lr, backend }, 'worker');
      const tab = await browser.tabStep({ ...opts, specs: setup.model.specs, backend }, 'worker');
      const row = { backend, baselineMs: round(median(base.stepMs.slice(skip)), 1), tabStepMs: round(median(tab.stepMs.slice(skip)), 1), parts: Object.fromEntries(Object.entries(tab.parts).map(([k, v]) => [k, round(v, 1)])) };
      ctx.log(`scaling, ${backend} in a worker: plain tfjs step ${row.baselineMs} ms, tabtrain trainer step ${row.tabStepMs} ms (parts with a sync after each: ${JSON.stringify(row.parts)})`);
      backendRows.push(row);
    } catch (e) {
      const error = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
      ctx.log(`scaling, ${backend} in a worker failed: ${error}`);
      backendRows.push({ backend, baselineMs: NaN, tabStepMs: NaN, parts: {}, error });
    }
  }
  const cores = machine().cores;
  const baseline = median(rows.map((r) => r.baseline));
  const summary = FLEETS.map((n) => ({
    tabs: n,
    samplesPerSec: round(median(rows.map((r) => r.fleets[n]!)), 1),
    vsBaseline: round(median(rows.map((r) => r.fleets[n]! / r.baseline)), 3),
    vsOneTab: round(median(rows.map((r) => r.fleets[n]! / r.fleets[1]!)), 3),
    medianStepRate: round(median(rows.map((r) => r.medianStep[n]!)), 1),
    medianStepVsBaseline: round(median(rows.map((r) => r.medianStep[n]! / r.baselineMedianStep)), 3),
    slowSteps: round(median(rows.map((r) => r.slow[n]!.count)), 1),
    slowExtraSeconds: round(median(rows.map((r) => r.slow[n]!.extraSeconds)), 1),
    anatomy: Object.fromEntries(
      (Object.keys(rows[0]!.anatomy[n]!) as (keyof Anatomy)[]).map((k) => [k, round(median(rows.map((r) => r.anatomy[n]![k])), 3)]),
    ) as unknown as Anatomy,
  }));
  const parts: [keyof Anatomy, string][] = [
    ['computeMs', 'tab compute (mean shard)'],
    ['transferMs', 'transfer + peer encode/decode'],
    ['broadcastMs', 'broadcast (encode + send tasks)'],
    ['aggregateMs', 'decode + check + sum'],
    ['waitMs', 'wait for slowest shard'],
    ['optimizerMs', 'average + optimizer'],
    ['otherUpdateMs', 'other update'],
  ];
  const markdown = [
    `MLP (${setup.model.trainableParams.toLocaleString('en')} params) on embedded MNIST, global batch 128, Adam, ${steps} steps per run, the first ${skip} left out (kernel compiles); ${repeats} repeat${repeats > 1 ? 's' : ''}, each running the baseline and the 1-, 2- and 4-tab fleets back to back; ratios taken within a repeat, then the median. Machine: **${cores} cores**; tabs on ${backends[0] ?? '?'} (${renderer || 'renderer unknown'}). All tabs share one headless Chromium on this machine, so more tabs means the same cores split more ways. The steady-window rate counts every stall (a new shard size compiles WebGL kernels once); the median-step rate shows the typical step. Slow steps: steps of the whole run over twice its median step, and the seconds they took beyond it.`,
    '',
    table(
      ['', 'samples/s (steady window)', 'vs single-tab plain tfjs', 'vs 1 tab', 'samples/s at the median step', 'vs baseline (median step)', 'median step ms', 'outside tab compute', 'slow steps (extra s)'],
      [
        ['plain tfjs, 1 tab (baseline)', round(baseline, 1), '1x', '', round(median(rows.map((r) => r.baselineMedianStep)), 1), '1x', round((128 * 1000) / median(rows.map((r) => r.baselineMedianStep)), 1), '0%', ''],
        ...summary.map((s) => [`tabtrain, ${s.tabs} tab${s.tabs > 1 ? 's' : ''}`, s.samplesPerSec, `${s.vsBaseline}x`, `${s.vsOneTab}x`, s.medianStepRate, `${s.medianStepVsBaseline}x`, s.anatomy.totalMs, `${(100 * s.anatomy.outsideShareCritical).toFixed(0)}%`, `${s.slowSteps} (${s.slowExtraSeconds} s)`]),
      ],
    ),
    '',
    '### Step anatomy (median ms per step)',
    '',
    `Parts add up to the step's wall time. Tab compute is the mean shard's gradient time in the tab; transfer is the rest of the mean shard's round trip (WebSocket, weights upload into the tab, gradient readback and encoding); broadcast, decode/sum and the optimizer are measured in the coordinator; wait is the time from the mean shard's return to the last one. "Outside tab compute" counts everything but the slowest shard's compute (the report's timing.outsideComputeShare).`,
    '',
    table(['tabs', ...parts.map((p) => p[1]), 'total', 'outside tab compute'], summary.map((s) => [s.tabs, ...parts.map((p) => s.anatomy[p[0]]), s.anatomy.totalMs, `${(100 * s.anatomy.outsideShareCritical).toFixed(0)}%`])),
    '',
    '### WebGL vs WebGPU, in a Web Worker (median ms per step of 128)',
    '',
    'Plain tfjs (`trainOnBatch`, weights and data on the GPU) and the tabtrain trainer (install weights, gather + upload the batch, forward/backward, one readback, encode), both in a worker as a tab computes; Chromium started with `--enable-unsafe-webgpu` (WebGPU on SwiftShader). The parts are timed with a GPU sync after each, so they add up to more than the step.',
    '',
    table(
      ['backend', 'plain tfjs step', 'tabtrain trainer step', 'trainer / plain', 'weights', 'batch', 'forward+backward', 'concat', 'readback', 'encode'],
      backendRows.map((r) => (r.error ? [r.backend, `failed: ${r.error}`, '', '', '', '', '', '', '', ''] : [r.backend, r.baselineMs, r.tabStepMs, `${round(r.baselineMs / r.tabStepMs, 2)}x speed`, r.parts.weights ?? '', r.parts.batch ?? '', r.parts.forwardBackward ?? '', r.parts.concat ?? '', r.parts.readback ?? '', r.parts.encode ?? ''])),
    ),
  ].join('\n');
  const svgs = {
    scaling: barChart({
      title: `Samples/s, MLP batch 128 (${cores} cores, ${backends[0] ?? ''})`,
      yLabel: 'samples per second',
      categories: ['plain tfjs 1 tab', ...summary.map((s) => `tabtrain ${s.tabs} tab${s.tabs > 1 ? 's' : ''}`)],
      series: [{ name: 'samples/s', values: [baseline, ...summary.map((s) => s.samplesPerSec)] }],
    }),
    anatomy: stackedBars({
      title: 'Step anatomy (median ms per step)',
      yLabel: 'ms',
      categories: summary.map((s) => `${s.tabs} tab${s.tabs > 1 ? 's' : ''}`),
      parts: parts.map(([k, name]) => ({ name, values: summary.map((s) => s.anatomy[k]) })),
    }),
  };
  return {
    data: { cores, renderer, backends, steps, skip, repeatsRun: repeats, params: setup.model.trainableParams, baseline, summary, repeats: rows, backendsInWorker: backendRows },
    markdown,
    svgs,
    headline: [
      ...summary.map((s) => ({ label: `scaling ${s.tabs} tab${s.tabs > 1 ? 's' : ''} vs single-tab plain tfjs (${cores} cores)`, value: `${s.vsBaseline}x (${s.samplesPerSec} vs ${round(baseline, 1)} samples/s)` })),
      ...backendRows.filter((r) => !r.error).map((r) => ({ label: `${r.backend} in a worker: plain tfjs vs tabtrain trainer step (128)`, value: `${r.baselineMs} vs ${r.tabStepMs} ms` })),
      ...summary.map((s) => ({ label: `step time outside tab compute, ${s.tabs} tab${s.tabs > 1 ? 's' : ''}`, value: `${(100 * s.anatomy.outsideShareCritical).toFixed(0)}% of ${s.anatomy.totalMs} ms` })),
    ],
  };
}
