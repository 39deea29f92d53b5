import { describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../../coordinator/datasets/mnist';
import { splitDataset } from '../../shared/data/split';

describe('embedded MNIST', () => {
  const raw = loadEmbeddedMnist();

  it('has the 10,000 digits of the mnist package with their label counts', () => {
    expect(raw.labels.length).toBe(10000);
    expect(raw.features.length).toBe(10000 * 784);
    expect(raw.inputShape).toEqual([28, 28, 1]);
    expect(raw.featureType).toBe('u8');
    expect(raw.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const counts = new Array<number>(10).fill(0);
    for (const l of raw.labels) counts[l]!++;
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  });

  it('stores pixels as bytes: background 0, strokes up to 255', () => {
    const first = raw.features.subarray(0, 784);
    expect(first[0]).toBe(0);
    expect(Math.max(...first)).toBeGreaterThan(250);
    // the package's first strokes are 0.2, 0.624, 0.992: x 255 = 51, 159.12, 252.96 -> 51, 159, 253
    const start = first.findIndex((v) => v > 0);
    expect(Array.from(first.subarray(start, start + 3))).toEqual([51, 159, 253]);
    let ink = 0;
    for (const v of raw.features) if (v > 0) ink++;
    expect(ink / raw.features.length).toBeGreaterThan(0.1);
    expect(ink / raw.features.length).toBeLessThan(0.3);
  });

  it('splits 8000/1000/1000 by seed', () => {
    const ds = splitDataset(raw, [0.8, 0.1, 0.1], 1);
    expect(ds.meta.splits).toEqual({ train: 8000, val: 1000, test: 1000 });
    expect(ds.meta.numClasses).toBe(10);
  });
});
