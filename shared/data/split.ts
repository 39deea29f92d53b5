import { fail } from '../errors';
import { rawSampleCount, type Dataset, type DatasetMeta, type RawDataset } from './dataset';
import { seededPermutation } from './shuffle';

export type SplitRatios = [train: number, val: number, test: number];
export const DEFAULT_SPLIT: SplitRatios = [0.8, 0.1, 0.1];
const RATIO_TOLERANCE = 1e-6; // ratios typed by people: 0.7 + 0.2 + 0.1 is not exactly 1 in floats

function checkRatios(ratios: readonly number[]): void {
  const ok = ratios.length === 3 && ratios.every((r) => Number.isFinite(r) && r >= 0) && Math.abs(ratios.reduce((a, b) => a + b, 0) - 1) <= RATIO_TOLERANCE;
  if (!ok) throw fail('CONFIG_INVALID', `split [${ratios.join(', ')}] must be three numbers >= 0 (train, val, test) summing to 1`);
}

/**
 * Split sizes for n samples: boundaries at round(n * train) and
 * round(n * (train + val)), so the sizes always add up to n and 10,000 at
 * 0.8/0.1/0.1 gives exactly 8000/1000/1000.
 */
export function splitSizes(n: number, ratios: SplitRatios = DEFAULT_SPLIT): { train: number; val: number; test: number } {
  checkRatios(ratios);
  const trainEnd = Math.min(n, Math.round(n * ratios[0]));
  const valEnd = Math.max(trainEnd, Math.min(n, Math.round(n * (ratios[0] + ratios[1]))));
  return { train: trainEnd, val: valEnd - trainEnd, test: n - valEnd };
}

/**
 * Shuffles all samples by seed and stores them split-contiguous: train, then
 * validation, then test. The result owns new arrays; the input is untouched.
 */
export function splitDataset(all: RawDataset, ratios: SplitRatios = DEFAULT_SPLIT, seed = 0): Dataset {
  const n = rawSampleCount(all);
  const d = all.inputShape.reduce((a, b) => a * b, 1);
  const perLabel = all.task === 'regression' ? all.numClasses : 1;
  if (!Number.isInteger(n) || all.features.length !== n * d) {
    throw fail('DATA_INVALID', `${all.name}: ${all.features.length} feature values and ${all.labels.length} labels do not make whole samples of shape [${all.inputShape}]`);
  }
  const splits = splitSizes(n, ratios);
  if (splits.train === 0) throw fail('CONFIG_INVALID', `split [${ratios.join(', ')}] leaves no training samples out of ${n}`);

  const order = seededPermutation(n, seed, 'split');
  const features = all.features instanceof Uint8Array ? new Uint8Array(n * d) : new Float32Array(n * d);
  const labels = all.labels instanceof Uint16Array ? new Uint16Array(n * perLabel) : new Float32Array(n * perLabel);
  for (let i = 0; i < n; i++) {
    const src = order[i]!;
    features.set(all.features.subarray(src * d, (src + 1) * d), i * d);
    labels.set(all.labels.subarray(src * perLabel, (src + 1) * perLabel), i * perLabel);
  }
  const meta: DatasetMeta = {
    name: all.name,
    task: all.task,
    inputShape: [...all.inputShape],
    numClasses: all.numClasses,
    featureType: all.featureType,
    splits,
    ...(all.classNames !== undefined ? { classNames: [...all.classNames] } : {}),
  };
  return { meta, features, labels };
}
