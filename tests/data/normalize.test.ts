import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../shared/data/dataset';
import { computeNormalization, normalizeDataset } from '../../shared/data/normalize';

/**
 * Train: feature 0 = 1, 3 (mean 2, std 1, min 1, max 3); feature 1 = 5, 5 (constant).
 * Val: (5, 7); test: (-1, 5). Statistics from all four samples would differ.
 */
function ds(): Dataset {
  return {
    meta: { name: 'n', task: 'regression', inputShape: [2], numClasses: 1, featureType: 'f32', splits: { train: 2, val: 1, test: 1 } },
    features: new Float32Array([1, 5, 3, 5, 5, 7, -1, 5]),
    labels: new Float32Array([0, 0, 0, 0]),
  };
}

describe('normalisation', () => {
  it('zscore uses train-only stats, applied to every split', () => {
    const { dataset, normalization } = normalizeDataset(ds(), 'zscore');
    expect(normalization).toEqual({ kind: 'zscore', mean: [2, 5], std: [1, 1] }); // constant feature: std 0 -> 1
    // train (1,5) (3,5) -> (-1,0) (1,0); val (5,7) -> (3,2); test (-1,5) -> (-3,0)
    expect(Array.from(dataset.features)).toEqual([-1, 0, 1, 0, 3, 2, -3, 0]);
  });

  it('minmax uses train-only stats; val/test may leave [0, 1]', () => {
    const { dataset, normalization } = normalizeDataset(ds(), 'minmax');
    expect(normalization).toEqual({ kind: 'minmax', min: [1, 5], max: [3, 5] });
    // x' = (x - min) / (max - min), range 0 -> 1: val (5,7) -> (2,2); test (-1,5) -> (-1,0)
    expect(Array.from(dataset.features)).toEqual([0, 0, 1, 0, 2, 2, -1, 0]);
  });

  it('leaves the input untouched and none is the identity', () => {
    const input = ds();
    normalizeDataset(input, 'zscore');
    expect(Array.from(input.features)).toEqual([1, 5, 3, 5, 5, 7, -1, 5]);
    const none = normalizeDataset(input, 'none');
    expect(none.dataset).toBe(input);
    expect(none.normalization).toBeNull();
  });

  it('never produces NaN for a constant feature', () => {
    const c: Dataset = { ...ds(), features: new Float32Array(8).fill(4) };
    for (const kind of ['zscore', 'minmax'] as const) {
      const { dataset } = normalizeDataset(c, kind);
      expect(Array.from(dataset.features)).toEqual(new Array(8).fill(0));
    }
  });

  it('refuses u8 image features with CONFIG_INVALID', () => {
    const img: Dataset = {
      meta: { name: 'mnist', task: 'classification', inputShape: [1], numClasses: 2, featureType: 'u8', splits: { train: 1, val: 0, test: 0 } },
      features: new Uint8Array([3]),
      labels: new Uint16Array([1]),
    };
    expect(() => computeNormalization(img, 'zscore')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
