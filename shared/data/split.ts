import { fail } from '../errors';
import { labelsPerSample, rawSampleCount, type Dataset, type DatasetMeta, type RawDataset, type SplitSources } from './dataset';
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
 *
 * A raw set with a held-out test file keeps those samples as the test split,
 * in file order; train and validation are split from the others only, in the
 * ratio train : val (the test ratio does not apply).
 */
export function splitDataset(all: RawDataset, ratios: SplitRatios = DEFAULT_SPLIT, seed = 0): Dataset {
  const n = rawSampleCount(all);
  const d = all.inputShape.reduce((a, b) => a * b, 1);
  const perLabel = labelsPerSample(all);
  if (!Number.isInteger(n) || all.features.length !== n * d) {
    throw fail('DATA_INVALID', `${all.name}: ${all.features.length} feature values and ${all.labels.length} labels do not make whole samples of shape [${all.inputShape}]`);
  }
  const held = all.heldOut?.count ?? 0;
  if (held < 0 || held > n) throw fail('DATA_INVALID', `${all.name}: ${held} held-out test samples out of ${n}`);
  const pool = n - held;
  let splits: { train: number; val: number; test: number };
  if (all.heldOut) {
    checkRatios(ratios);
    // pool * r0 first, then / (r0 + r1): 50 * 0.6 / 0.8 is 37.5 and rounds to 38, as a person works it out
    const train = ratios[0] + ratios[1] > 0 ? Math.min(pool, Math.round((pool * ratios[0]) / (ratios[0] + ratios[1]))) : pool;
    splits = { train, val: pool - train, test: held };
  } else {
    splits = splitSizes(n, ratios);
  }
  if (splits.train === 0) throw fail('CONFIG_INVALID', `split [${ratios.join(', ')}] leaves no training samples out of ${pool}`);

  const shuffled = seededPermutation(pool, seed, 'split');
  const order = held > 0 ? Uint32Array.from({ length: n }, (_, i) => (i < pool ? shuffled[i]! : i)) : shuffled;
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
    ...(all.heldOut ? { sources: heldOutSources(all.heldOut, splits) } : {}),
  };
  return { meta, features, labels };
}

function heldOutSources(h: NonNullable<RawDataset['heldOut']>, s: { train: number; val: number; test: number }): SplitSources {
  const pool = s.train + s.val;
  return {
    train: `${h.trainFile}: ${s.train} of its ${pool} samples, by seed`,
    val: `${h.trainFile}: the other ${s.val} of its ${pool} samples`,
    test: `${h.testFile}: all ${s.test} samples, in file order`,
  };
}

/** Where each split of a dataset came from, in words: its own files, or one pool split by seed. */
export function describeSources(meta: DatasetMeta): SplitSources {
  if (meta.sources) return meta.sources;
  const { train, val, test } = meta.splits;
  const n = train + val + test;
  const of = (k: number): string => `${meta.name}: ${k} of its ${n} samples, by seed`;
  return { train: of(train), val: of(val), test: of(test) };
}
