import { describe, expect, it } from 'vitest';
import { splitRange, type RawDataset } from '../../shared/data/dataset';
import { splitDataset, splitSizes } from '../../shared/data/split';

/** Sample i has features [i, -i] and label i % 3, so a sample can be traced through the shuffle. */
function traced(n: number): RawDataset {
  return {
    name: 'traced',
    task: 'classification',
    inputShape: [2],
    numClasses: 3,
    featureType: 'f32',
    features: Float32Array.from({ length: 2 * n }, (_, k) => (k % 2 === 0 ? k / 2 : -(k - 1) / 2)),
    labels: Uint16Array.from({ length: n }, (_, i) => i % 3),
  };
}

describe('splitDataset', () => {
  it('sizes follow the ratios and add up', () => {
    expect(splitSizes(10000)).toEqual({ train: 8000, val: 1000, test: 1000 });
    expect(splitSizes(7, [0.5, 0.5, 0])).toEqual({ train: 4, val: 3, test: 0 });
    expect(splitSizes(3, [1 / 3, 1 / 3, 1 / 3])).toEqual({ train: 1, val: 1, test: 1 });
    expect(splitSizes(10, [0.7, 0.2, 0.1])).toEqual({ train: 7, val: 2, test: 1 });
  });

  it('shuffles every sample exactly once, keeping features with their label', () => {
    const ds = splitDataset(traced(100), [0.6, 0.3, 0.1], 11);
    expect(ds.meta.splits).toEqual({ train: 60, val: 30, test: 10 });
    const ids = Array.from({ length: 100 }, (_, i) => ds.features[2 * i]!);
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(ids).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (let i = 0; i < 100; i++) {
      expect(ds.features[2 * i + 1]).toBe(-ids[i]!);
      expect(ds.labels[i]).toBe(ids[i]! % 3);
    }
    expect(splitRange(ds.meta, 'val')).toEqual({ start: 60, end: 90 });
  });

  it('is deterministic by seed', () => {
    const a = splitDataset(traced(50), undefined, 1);
    expect(splitDataset(traced(50), undefined, 1).features).toEqual(a.features);
    expect(splitDataset(traced(50), undefined, 2).features).not.toEqual(a.features);
  });

  it('splits regression targets with their samples', () => {
    const raw: RawDataset = {
      name: 'r',
      task: 'regression',
      inputShape: [1],
      numClasses: 2,
      featureType: 'f32',
      features: Float32Array.from({ length: 20 }, (_, i) => i),
      labels: Float32Array.from({ length: 40 }, (_, k) => Math.floor(k / 2) * 10 + (k % 2)),
    };
    const ds = splitDataset(raw, [0.5, 0.25, 0.25], 3);
    for (let i = 0; i < 20; i++) {
      expect(ds.labels[2 * i]).toBe(ds.features[i]! * 10);
      expect(ds.labels[2 * i + 1]).toBe(ds.features[i]! * 10 + 1);
    }
  });

  it('refuses bad ratios with CONFIG_INVALID', () => {
    for (const r of [[0.8, 0.1, 0.2], [1.1, -0.1, 0], [0.5, 0.5, Number.NaN], [0, 0.5, 0.5]] as [number, number, number][]) {
      expect(() => splitDataset(traced(10), r, 0)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
    expect(() => splitDataset(traced(10), [0.7, 0.2, 0.1 + 5e-7], 0)).not.toThrow();
  });

  it('refuses features that do not make whole samples', () => {
    const raw = { ...traced(10), features: new Float32Array(19) };
    expect(() => splitDataset(raw)).toThrow(expect.objectContaining({ code: 'DATA_INVALID' }));
  });
});
