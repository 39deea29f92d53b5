import '../../coordinator/tfjsNode';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../client/trainer/trainer';
import { prepareRun } from '../../coordinator/setup';
import { parseConfig } from '../../shared/config/parse';
import type { ConfigInput } from '../../shared/config/schema';

/**
 * The trainer core under Node leaks no tensor: across gradient and
 * evaluation calls (new weights installed before each, as a peer does) the
 * live tensor count stays where the first call left it, and disposing the
 * trainer gives back everything it made. The tab does the same check in
 * e2e/core.spec.ts; this one runs in CI without a browser, and covers the
 * paths a tab takes: dropout, batch norm, augmentation, padded buckets.
 */
const cases: [string, ConfigInput, { augment: boolean; shapeBuckets: boolean }][] = [
  ['MLP with dropout, padded to buckets', { dataset: 'circles', samples: 300, hidden: [16], dropout: 0.3 }, { augment: false, shapeBuckets: true }],
  ['CNN with batch norm and augmentation', { dataset: 'mnist', model: 'cnn', conv: [4], kernel: 3, batchNorm: true, augment: true }, { augment: true, shapeBuckets: false }],
  ['regression MLP', { dataset: 'regression', samples: 300, hidden: [8] }, { augment: false, shapeBuckets: false }],
];

describe('trainer tensor leaks (Node, tfjs cpu)', () => {
  it.each(cases)('%s: numTensors flat across steps and evaluations', async (_, config, o) => {
    const { setup: s } = await prepareRun(parseConfig(config));
    const before = tf.memory().numTensors;
    const t = await Trainer.create(s.model.topology, s.model.specs, s.dataset, s.loss, { shapeBuckets: o.shapeBuckets });
    const weights = s.model.initial.slice();
    const idx = (from: number, n: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => from + i);
    const counts: number[] = [];
    for (let step = 0; step < 4; step++) {
      // New weights each step (a tiny nudge), as a TASK brings them.
      for (let i = 0; i < weights.length; i += 7) weights[i]! += 1e-3;
      t.setWeights(step, weights);
      // Odd sizes: different shapes (and buckets) each call.
      const g = await t.gradient(idx(step * 11, 13 + step * 5), o.augment ? 1000 + step : null);
      expect(g.count).toBe(13 + step * 5);
      counts.push(tf.memory().numTensors);
      await t.evaluate(idx(s.dataset.meta.splits.train, 9 + step * 3));
      counts.push(tf.memory().numTensors);
    }
    expect(counts).toEqual(counts.map(() => counts[0]));
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
