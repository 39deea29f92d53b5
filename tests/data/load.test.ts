import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDatasetSpec } from '../../coordinator/datasets/load';
import { decodeDataset, encodeDataset } from '../../shared/data/codec';

const root = mkdtempSync(join(tmpdir(), 'tabtrain-load-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('loadDatasetSpec', () => {
  it('mnist: 8000/1000/1000, survives the codec', async () => {
    const { dataset, normalization } = await loadDatasetSpec('mnist', { seed: 1 });
    expect(dataset.meta.splits).toEqual({ train: 8000, val: 1000, test: 1000 });
    expect(normalization).toBeNull();
    const back = decodeDataset(encodeDataset(dataset));
    expect(back.meta).toEqual(dataset.meta);
    expect(back.labels).toEqual(dataset.labels);
  });

  it('synthetic sets take samples, noise, split and seed', async () => {
    const a = await loadDatasetSpec('spiral', { seed: 3, samples: 200, noise: 0.05, split: [0.5, 0.25, 0.25] });
    expect(a.dataset.meta.splits).toEqual({ train: 100, val: 50, test: 50 });
    const b = await loadDatasetSpec('spiral', { seed: 3, samples: 200, noise: 0.05, split: [0.5, 0.25, 0.25] });
    expect(b.dataset.features).toEqual(a.dataset.features);
  });

  it('csv with zscore: statistics from the training split only', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${i},${i % 2 === 0 ? 'even' : 'odd'}`);
    const p = join(root, 'n.csv');
    writeFileSync(p, ['v,parity', ...rows].join('\n'));
    const { dataset, normalization } = await loadDatasetSpec(`csv:${p}`, { seed: 2, label: 'parity', normalize: 'zscore' });
    if (normalization?.kind !== 'zscore') throw new Error('expected zscore stats');
    const train = Array.from(dataset.features.subarray(0, dataset.meta.splits.train));
    // normalised train features have mean 0 and std 1; the mean is not the whole set's 19.5
    const mean = train.reduce((s, v) => s + v, 0) / train.length;
    expect(Math.abs(mean)).toBeLessThan(1e-5);
    expect(Math.sqrt(train.reduce((s, v) => s + v * v, 0) / train.length)).toBeCloseTo(1, 5);
    expect(normalization.mean[0]).not.toBe(19.5);
    expect(dataset.meta.classNames).toEqual(['even', 'odd']);
  });

  it('unknown spec: CONFIG_INVALID listing the accepted forms', async () => {
    await expect(loadDatasetSpec('cifar', { seed: 0 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('mnist | xor | circles | spiral | spiral3 | gauss | regression | idx:DIR | csv:FILE'),
    });
  });
});
