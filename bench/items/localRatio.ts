import type { BenchContext, ItemResult } from '../context';
import { machine, table } from '../context';
import { median, round } from '../stats';
import { startRun } from '../run';
import type { HistoryEntry } from '../../coordinator/run/types';

/**
 * Issue 11's throughput goal: one tab in --mode local (H = 16) against one
 * tab of plain tfjs (the same model, batch and backend, no coordinator;
 * bench/browser/baseline.ts), side by side in one run: each repeat runs the
 * baseline in a Web Worker (where a tabtrain tab computes) and in a page,
 * the local run, then both baselines again; the ratios are to the mean of
 * the baselines just before and after, within the repeat (the load of a
 * shared machine drifts). Local samples/s: the median round's samples over its wall
 * time (weights down, 16 inner steps, the change read back and up, the
 * outer step), the first round (WebGL programs compiled) left out; and, as
 * a second figure, over the wall time from the second round's start to the
 * last one's end, the validation passes between epochs included.
 */
const H = 16;
const BATCH = 128;

/** Samples/s at the median round (rows after the first). */
export function medianRoundSamplesPerSec(h: readonly HistoryEntry[]): number {
  const rows = h.slice(1).filter((x) => x.samples > 0);
  if (!rows.length) return NaN;
  return median(rows.map((x) => (x.samples * 1000) / (x.ms + x.updateMs)));
}

/** Samples/s over the wall time from the second row's start to the last row's end (what happens between rounds included). */
export function wallSamplesPerSec(h: readonly HistoryEntry[]): number {
  if (h.length < 2) return NaN;
  const first = h[1]!;
  const t0 = first.t - (first.ms + first.updateMs) / 1000;
  const span = h.at(-1)!.t - t0;
  return span > 0 ? h.slice(1).reduce((a, x) => a + x.samples, 0) / span : NaN;
}

export async function localRatioItem(ctx: BenchContext): Promise<ItemResult> {
  const repeats = ctx.quick ? 1 : ctx.repeats;
  // Two epochs of the embedded 8000-sample split: 63 global batches each, rounds of 16, 16, 16 and 15.
  const config = { dataset: 'mnist', model: 'mlp', batchSize: BATCH, optimizer: 'adam' as const, seed: 1, mode: 'local' as const, localSteps: H, epochs: ctx.quick ? 2 : 3 };
  const probe = await startRun({ dataset: 'mnist', model: 'mlp', batchSize: BATCH, optimizer: 'adam', seed: 1, steps: 1 });
  const setup = probe.prepared.setup;
  await probe.close();
  const baselineSteps = ctx.quick ? 80 : 150;
  const skip = 20;
  const browser = await ctx.tabBrowser();
  const rows: { repeat: number; worker: number; page: number; localRound: number; localWall: number; rounds: number; load: number[] }[] = [];
  for (let rep = 0; rep < repeats; rep++) {
    const base = async (where: 'page' | 'worker'): Promise<number> => {
      const b = await browser.baseline(
        { topology: setup.model.topology, inputShape: setup.dataset.meta.inputShape, classes: setup.dataset.meta.numClasses, trainSize: setup.dataset.meta.splits.train, batch: BATCH, steps: baselineSteps, lr: setup.lr, loss: setup.loss },
        where,
      );
      return (BATCH * 1000) / median(b.stepMs.slice(skip));
    };
    // The baselines just before and just after the local run, averaged: the load on a shared machine drifts.
    const load: number[] = [machine().loadAverage];
    const before = { worker: await base('worker'), page: await base('page') };
    const r = await browser.run(config, 1, 900_000, 100 + rep);
    const after = { page: await base('page'), worker: await base('worker') };
    const worker = (before.worker + after.worker) / 2;
    const page = (before.page + after.page) / 2;
    load.push(machine().loadAverage);
    const row = { repeat: rep + 1, worker, page, localRound: medianRoundSamplesPerSec(r.history), localWall: wallSamplesPerSec(r.history), rounds: r.history.length, load };
    rows.push(row);
    ctx.log(
      `localRatio repeat ${rep + 1} (load ${load.join(' -> ')}): plain tfjs ${worker.toFixed(0)} samples/s in a worker (${before.worker.toFixed(0)} before, ${after.worker.toFixed(0)} after), ${page.toFixed(0)} in a page (${before.page.toFixed(0)}, ${after.page.toFixed(0)}); 1 tab local H=${H}: ${row.localRound.toFixed(0)} samples/s at the median round (${(row.localRound / worker).toFixed(2)}x worker baseline), ${row.localWall.toFixed(0)} over the wall time with validation passes (${(row.localWall / worker).toFixed(2)}x); ${r.history.length} rounds, round ms ${JSON.stringify(r.history.map((x) => Math.round(x.ms + x.updateMs)))}, of which in the tab's compute ${JSON.stringify(r.history.map((x) => Math.round(x.computeMs)))}`,
    );
  }
  const ratio = (k: 'localRound' | 'localWall', b: 'worker' | 'page'): number => round(median(rows.map((r) => r[k] / r[b])), 2);
  const m = machine();
  const summary = {
    worker: round(median(rows.map((r) => r.worker)), 1),
    page: round(median(rows.map((r) => r.page)), 1),
    localRound: round(median(rows.map((r) => r.localRound)), 1),
    localWall: round(median(rows.map((r) => r.localWall)), 1),
    roundVsWorker: ratio('localRound', 'worker'),
    roundVsPage: ratio('localRound', 'page'),
    wallVsWorker: ratio('localWall', 'worker'),
    wallVsPage: ratio('localWall', 'page'),
  };
  const markdown = [
    `One WebGL tab (SwiftShader, headless Chromium) on ${m.cores} cores; load average ${rows.map((r) => r.load.join('->')).join(', ')} (1-minute, at each repeat's start and end). MNIST MLP, batch ${BATCH}, Adam lr ${setup.lr}: plain tfjs (trainOnBatch, data on the GPU, median step after ${skip}; mean of the runs just before and just after the local run) vs tabtrain --mode local --local-steps ${H} (${config.epochs} epochs, 1 tab). Ratios taken within each repeat, medians over ${repeats}.`,
    '',
    table(
      ['repeat', 'plain tfjs, worker', 'plain tfjs, page', 'local H=16, median round', 'local, wall (with validation)', 'round / worker', 'round / page', 'wall / worker'],
      rows.map((r) => [r.repeat, round(r.worker, 1), round(r.page, 1), round(r.localRound, 1), round(r.localWall, 1), `${round(r.localRound / r.worker, 2)}x`, `${round(r.localRound / r.page, 2)}x`, `${round(r.localWall / r.worker, 2)}x`]),
    ),
    '',
    `Median: local H=16 at the median round ${summary.localRound} samples/s = **${summary.roundVsWorker}x** plain tfjs in a worker (${summary.worker}), ${summary.roundVsPage}x in a page (${summary.page}); over the wall time with the validation passes ${summary.wallVsWorker}x.`,
  ].join('\n');
  return {
    data: { h: H, batch: BATCH, repeats, rows, summary },
    markdown,
    svgs: {},
    headline: [
      { label: `1 tab local H=${H} vs plain tfjs (worker), median round`, value: `${summary.roundVsWorker}x (${summary.localRound} vs ${summary.worker} samples/s)` },
      { label: `1 tab local H=${H} vs plain tfjs (worker), wall time with validation`, value: `${summary.wallVsWorker}x` },
    ],
  };
}
