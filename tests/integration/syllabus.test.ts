import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatherInputs } from '../../client/trainer/batch';
import { exportModel } from '../../coordinator/model/export';
import { splitRange } from '../../shared/data/dataset';
import type { ConfigInput } from '../../shared/config/schema';
import { maxAbsDiff } from './reference';
import { startHarness, type Harness } from './harness';

/**
 * The course's ideas over real ws with node peers: each synthetic set to a
 * stated test accuracy, regression to a stated MSE, batch-norm statistics
 * that do not depend on how the batch was cut, and an export that plain tfjs
 * loads and that predicts what the coordinator measured.
 */
async function train(config: ConfigInput, peers: number): Promise<Harness> {
  const h = await startHarness({ minPeers: peers, ...config }, peers);
  expect(await h.done).toBe('completed');
  return h;
}

describe('node-peer training reaches stated accuracies', () => {
  const mlp: ConfigInput = { hidden: [32, 32], lr: 0.01, batchSize: 32 };
  it.each([
    ['xor', { samples: 2000, epochs: 25 }],
    ['circles', { samples: 1000, epochs: 30 }],
    ['spiral', { samples: 2000, noise: 0.03, hidden: [64, 64], epochs: 50 }],
  ] as [string, ConfigInput][])('%s >= 0.95 test accuracy with an MLP', async (dataset, extra) => {
    const h = await train({ dataset, ...mlp, ...extra }, 2);
    try {
      expect(h.c.run.evaluator.final.testAccuracy).toBeGreaterThanOrEqual(0.95);
    } finally {
      await h.close();
    }
  });

  it('regression: test MSE below 0.05 on the noisy synthetic function (noise variance 0.01)', async () => {
    const h = await train({ dataset: 'regression', samples: 1000, hidden: [32, 32], activation: 'tanh', lr: 0.01, batchSize: 32, epochs: 40 }, 2);
    try {
      const f = h.c.run.evaluator.final;
      expect(h.prepared.setup.loss).toBe('mse');
      expect(f.testLoss).toBeLessThan(0.05);
    } finally {
      await h.close();
    }
  });
});

describe('batch normalisation across peers', () => {
  const cfg = (steps: number): ConfigInput => ({ dataset: 'circles', samples: 600, hidden: [16], batchNorm: true, lr: 0.05, batchSize: 60, steps, optimizer: 'sgd' });
  const state = (h: Harness): Float32Array => h.c.run.store.weights.subarray(h.prepared.setup.model.trainableParams);
  const relDiff = (a: Float32Array, b: Float32Array): number => maxAbsDiff(a, b) / Math.max(...Array.from(a, Math.abs));

  it('3 peers and 1 peer give the same moving statistics: the shards\' batch moments combine into the global batch\'s', async () => {
    const one = await train(cfg(1), 1);
    const three = await train(cfg(1), 3);
    try {
      const s = one.prepared.setup.model;
      expect(s.stateParams).toBe(32); // moving mean and variance of 16 units
      // The statistics moved: they are aggregated, not ignored.
      expect(maxAbsDiff(state(one), s.initial.subarray(s.trainableParams))).toBeGreaterThan(1e-3);
      // Same weights before the step, so the global batch's moments are the same whichever way it was cut:
      // the update each run made (1 - momentum) * (moment - moving) agrees to float precision. Averaging the
      // shards' moving variances instead would miss the spread between shard means (about 5% here).
      const init = s.initial.subarray(s.trainableParams);
      const delta = (h: Harness): Float32Array => state(h).map((v, i) => v - init[i]!);
      expect(relDiff(delta(one), delta(three))).toBeLessThan(1e-3);
    } finally {
      await one.close();
      await three.close();
    }
  });

  it('over many steps they stay within 1% (each shard normalises with its own batch statistics, so the gradients differ slightly)', async () => {
    const one = await train(cfg(20), 1);
    const three = await train(cfg(20), 3);
    try {
      expect(relDiff(state(one), state(three))).toBeLessThan(0.01);
    } finally {
      await one.close();
      await three.close();
    }
  });
});

describe('export', () => {
  it('tf.loadLayersModel reads the export; it predicts from raw CSV-style values, normalisation inside, and reproduces the test accuracy', async () => {
    const h = await train({ dataset: 'gauss', samples: 600, normalize: 'zscore', hidden: [8], lr: 0.02, batchSize: 32, epochs: 5 }, 2);
    try {
      const dir = mkdtempSync(join(tmpdir(), 'tabtrain-export-'));
      const s = h.prepared.setup;
      await exportModel(dir, s.model, h.c.run.store.weights, s.normalization);
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      const bin = readFileSync(join(dir, 'weights.bin'));
      const model = await tf.loadLayersModel(
        tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }),
      );
      expect(model.layers[0]!.name).toBe('tabtrain_normalize');
      // Raw values: undo the run's normalisation of the test split, as a user would hold them.
      const ds = s.dataset;
      const { start, end } = splitRange(ds.meta, 'test');
      const idx = Uint32Array.from({ length: end - start }, (_, i) => start + i);
      const normalized = gatherInputs(ds, idx);
      const stats = s.normalization;
      if (stats?.kind !== 'zscore') throw new Error('expected z-score stats');
      const raw = normalized.map((v, i) => v * stats.std[i % 2]! + stats.mean[i % 2]!);
      const p = model.predict(tf.tensor2d(raw, [idx.length, 2])) as tf.Tensor;
      const probs = p.dataSync();
      let correct = 0;
      for (let i = 0; i < idx.length; i++) if ((probs[i]! >= 0.5 ? 1 : 0) === ds.labels[idx[i]!]) correct++;
      expect(correct / idx.length).toBeCloseTo(h.c.run.evaluator.final.testAccuracy!, 6);
      model.dispose();
      p.dispose();
    } finally {
      await h.close();
    }
  });

  it('--init-from starts a run from an exported model: its first loss is the trained loss, not a fresh one', async () => {
    const first = await train({ dataset: 'circles', samples: 600, hidden: [16], lr: 0.02, batchSize: 50, epochs: 8 }, 1);
    const dir = mkdtempSync(join(tmpdir(), 'tabtrain-init-'));
    const trainedSteps = first.c.run.optimizer.state().t;
    try {
      await exportModel(dir, first.prepared.setup.model, first.c.run.store.weights, null, first.c.run.optimizer.state());
    } finally {
      await first.close();
    }
    const fresh = await train({ dataset: 'circles', samples: 600, hidden: [16], lr: 0.02, batchSize: 50, steps: 2 }, 1);
    const tuned = await train({ dataset: 'circles', samples: 600, initFrom: dir, lr: 0.02, batchSize: 50, steps: 2 }, 1);
    try {
      expect(maxAbsDiff(tuned.prepared.setup.model.initial, first.c.run.store.weights)).toBe(0);
      expect(tuned.c.run.history[0]!.loss).toBeLessThan(0.5 * fresh.c.run.history[0]!.loss);
      // Adam's moments and step count came along: 2 more updates on top of the first run's.
      expect(trainedSteps).toBeGreaterThan(50);
      expect(tuned.c.run.optimizer.state().t).toBe(trainedSteps + 2);
    } finally {
      await fresh.close();
      await tuned.close();
    }
  });
});
