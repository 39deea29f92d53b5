import * as tf from '@tensorflow/tfjs';
import { createOptimizer } from '../../shared/optim/create';
import type { OptimizerName } from '../../shared/optim/types';
import type { BenchContext, ItemResult } from '../context';
import { table } from '../context';
import { median, round } from '../stats';
import { barChart } from '../svg';

/**
 * Item 4: the coordinator's fused optimizer kernels (shared/optim) against
 * tf.train.* on the tfjs cpu backend and against the bandwidth floor: copying
 * every array the kernel touches (parameters, gradient, slots) once with
 * Float32Array.set. All three are timed in the same round, rounds repeated.
 */
const SLOTS: Record<string, number> = { sgd: 0, momentum: 1, adam: 2 };

function tfOptimizer(name: string, lr: number): tf.Optimizer {
  if (name === 'sgd') return tf.train.sgd(lr);
  if (name === 'momentum') return tf.train.momentum(lr, 0.9);
  return tf.train.adam(lr);
}

function timeMs(fn: () => void, n: number): number {
  fn();
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

export async function optimizerItem(ctx: BenchContext): Promise<ItemResult> {
  await tf.setBackend('cpu');
  const sizes = [100_000, 1_000_000];
  const names = ['sgd', 'momentum', 'adam'] as const;
  const rounds = ctx.quick ? 3 : 7;
  const iters = ctx.quick ? 10 : 30;
  // tf.train's Adam takes ~0.3 s per 1M-parameter step: fewer calls per round, the same rounds.
  const tfIters = ctx.quick ? 2 : 10;
  const rows: { optimizer: string; params: number; oursMs: number; tfjsMs: number; floorMs: number; vsTfjs: number; vsFloor: number }[] = [];
  for (const size of sizes) {
    for (const name of names) {
      const params = new Float32Array(size).map((_, i) => Math.sin(i) * 0.05);
      const grad = new Float32Array(size).map((_, i) => Math.cos(i) * 1e-3);
      const ours = createOptimizer({ name: name as OptimizerName, momentum: 0.9 }, size);
      const w = tf.variable(tf.tensor1d(params));
      const g = tf.tensor1d(grad);
      const opt = tfOptimizer(name, 1e-3);
      const arrays = 2 + (SLOTS[name] ?? 0);
      const src = Array.from({ length: arrays }, () => new Float32Array(size).fill(1));
      const dst = Array.from({ length: arrays }, () => new Float32Array(size));
      const o: number[] = [];
      const t: number[] = [];
      const f: number[] = [];
      for (let r = 0; r < rounds; r++) {
        o.push(timeMs(() => ours.step(params, grad, 1e-3), iters));
        t.push(timeMs(() => opt.applyGradients({ [w.name]: g }), tfIters));
        f.push(timeMs(() => src.forEach((s, i) => dst[i]!.set(s)), iters));
      }
      opt.dispose();
      w.dispose();
      g.dispose();
      const row = { optimizer: name, params: size, oursMs: round(median(o)), tfjsMs: round(median(t)), floorMs: round(median(f)), vsTfjs: 0, vsFloor: 0 };
      // Ratios per round, then the median: side by side in the same round.
      row.vsTfjs = round(median(o.map((x, i) => t[i]! / x)), 2);
      row.vsFloor = round(median(o.map((x, i) => x / f[i]!)), 2);
      rows.push(row);
      ctx.log(`optimizer ${name} ${size}: ours ${row.oursMs} ms, tf.train ${row.tfjsMs} ms, copy floor ${row.floorMs} ms (ours/floor ${row.vsFloor}x, tfjs/ours ${row.vsTfjs}x)`);
    }
  }
  const adam1m = rows.find((r) => r.optimizer === 'adam' && r.params === 1_000_000)!;
  const svg = barChart({
    title: 'Optimizer step, ms (lower is better)',
    yLabel: 'ms per step (median)',
    categories: rows.map((r) => `${r.optimizer} ${r.params >= 1e6 ? '1M' : '100k'}`),
    series: [
      { name: 'tabtrain fused kernel', values: rows.map((r) => r.oursMs) },
      { name: 'tf.train (tfjs cpu)', values: rows.map((r) => r.tfjsMs) },
      { name: 'memory copy floor', values: rows.map((r) => r.floorMs) },
    ],
  });
  const markdown = [
    `Each optimizer step on a flat Float32Array, against tf.train.* on the tfjs cpu backend and against copying every array the kernel touches (params, gradient, ${'slots'}) once with Float32Array.set. Medians of ${rounds} rounds of ${iters} steps (tf.train: ${tfIters} steps, after one untimed); ratios per round, then the median.`,
    '',
    table(
      ['optimizer', 'params', 'tabtrain ms', 'tf.train ms', 'copy floor ms', 'tf.train / tabtrain', 'tabtrain / floor'],
      rows.map((r) => [r.optimizer, r.params.toLocaleString('en'), r.oursMs, r.tfjsMs, r.floorMs, `${r.vsTfjs}x`, `${r.vsFloor}x`]),
    ),
  ].join('\n');
  return {
    data: { rows, rounds, iters },
    markdown,
    svgs: { optimizer: svg },
    headline: [
      { label: 'Adam 1M params: tabtrain / copy floor', value: `${adam1m.vsFloor}x (${adam1m.oursMs} ms vs ${adam1m.floorMs} ms)` },
      { label: 'Adam 1M params: tf.train (cpu) / tabtrain', value: `${adam1m.vsTfjs}x faster (${adam1m.tfjsMs} ms)` },
    ],
  };
}
