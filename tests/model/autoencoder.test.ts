import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { gatherInputs } from '../../client/trainer/batch';
import { CODE_LAYER } from '../../coordinator/model/autoencoder';
import { buildWithWeights } from '../../coordinator/model/export';
import { buildReport } from '../../coordinator/report';
import { splitRange } from '../../shared/data/dataset';
import { startHarness } from '../integration/harness';
import { prepareRun } from '../../coordinator/setup';
import { parseConfig } from '../../shared/config/parse';

/**
 * The dense autoencoder on the embedded MNIST digits across 2 node peers:
 * reconstruction MSE per pixel well below the MSE of always answering the
 * mean training digit (the best a model that ignores its input can do), in
 * the evaluation and the report; a 2-unit code for the scatter.
 */
function meanImageMse(train: Float32Array, test: Float32Array, d: number): number {
  const mean = new Float64Array(d);
  const n = train.length / d;
  for (let i = 0; i < train.length; i++) mean[i % d]! += train[i]! / n;
  let se = 0;
  for (let i = 0; i < test.length; i++) se += (test[i]! - mean[i % d]!) ** 2;
  return se / test.length;
}

describe('autoencoder', () => {
  it('mnist, bottleneck 16: test reconstruction MSE below half the mean-digit baseline after 80 steps', async () => {
    const h = await startHarness({ model: 'autoencoder', hidden: [128], bottleneck: 16, batchSize: 128, steps: 80, lr: 0.01, minPeers: 2 }, 2);
    try {
      expect(await h.done).toBe('completed');
      const s = h.prepared.setup;
      expect(s.loss).toBe('mse');
      expect(s.dataset.meta.task).toBe('reconstruction');
      const ds = s.dataset;
      const range = (split: 'train' | 'test'): Uint32Array => {
        const r = splitRange(ds.meta, split);
        return Uint32Array.from({ length: r.end - r.start }, (_, i) => r.start + i);
      };
      const baseline = meanImageMse(gatherInputs(ds, range('train')), gatherInputs(ds, range('test')), 784);
      const report = buildReport(h.c.run, 1) as { evals: { split: string; metrics: { mse: number } }[] };
      const mse = report.evals.find((e) => e.split === 'test')!.metrics.mse;
      // baseline ~0.067 on MNIST; measured 0.027 (0.4x) after these 80 steps
      expect(baseline).toBeGreaterThan(0.05);
      expect(mse).toBeLessThan(0.5 * baseline);
    } finally {
      await h.close();
    }
  }, 300_000);

  it('--bottleneck 2: the code layer gives 2 numbers per digit (what the dashboard scatters, coloured by label)', async () => {
    const p = await prepareRun(parseConfig({ model: 'autoencoder', bottleneck: 2, hidden: [32] }));
    const s = p.setup;
    const model = await buildWithWeights(s.model, s.model.initial);
    const encoder = tf.model({ inputs: model.inputs, outputs: model.getLayer(CODE_LAYER).output as tf.SymbolicTensor });
    const x = tf.tensor4d(gatherInputs(s.dataset, Uint32Array.from([0, 1, 2, 3, 4])), [5, 28, 28, 1]);
    const codes = encoder.predict(x) as tf.Tensor;
    expect(codes.shape).toEqual([5, 2]);
    expect(s.model.layers.map((l) => l.name)).toEqual(['flatten', 'enc1', 'code', 'dec1', 'output']);
    tf.dispose([x, codes]);
    model.dispose();
  });

  it('refuses a dataset of f32 features', async () => {
    await expect(startHarness({ model: 'autoencoder', dataset: 'spiral', samples: 100 }, 0)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('pixel values') });
  });
});
