import * as tf from '@tensorflow/tfjs';
import { sampleSize, type Dataset } from '../../shared/data/dataset';
import { augmentImages } from './augment';
import { gatherSequenceTargets, targetShape } from './targets';

/**
 * Gathers the samples of a shard into input and target tensors. Image bytes
 * are scaled to [0, 1] here, which is the input the exported model expects.
 */
export interface Batch {
  x: tf.Tensor;
  y: tf.Tensor;
  /** 1 for a real sample, 0 for a padding row; null when the batch is not padded. */
  mask: tf.Tensor1D | null;
  /** Real samples (the first rows); the rest is padding. */
  count: number;
}

export function gatherInputs(ds: Dataset, indices: Uint32Array): Float32Array {
  const d = sampleSize(ds.meta);
  const out = new Float32Array(indices.length * d);
  const f = ds.features;
  const scale = ds.meta.featureType === 'u8' ? 1 / 255 : 1;
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]! * d;
    const dst = i * d;
    for (let j = 0; j < d; j++) out[dst + j] = f[src + j]! * scale;
  }
  return out;
}

/** Targets as the model's output wants them: one-hot, a single 0/1 unit, or regression values. */
export function gatherTargets(ds: Dataset, indices: Uint32Array, outputUnits: number): Float32Array {
  if (ds.meta.task === 'reconstruction') return gatherInputs(ds, indices);
  if (ds.meta.task === 'sequence') return gatherSequenceTargets(ds, indices, outputUnits);
  const n = indices.length;
  const out = new Float32Array(n * outputUnits);
  if (ds.meta.task === 'regression') {
    const k = ds.meta.numClasses;
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) out[i * k + j] = ds.labels[indices[i]! * k + j]!;
    return out;
  }
  if (outputUnits === 1) {
    for (let i = 0; i < n; i++) out[i] = ds.labels[indices[i]!]!;
    return out;
  }
  for (let i = 0; i < n; i++) out[i * outputUnits + ds.labels[indices[i]!]!] = 1;
  return out;
}

/**
 * A batch of `indices`, padded with zero rows up to `rows` (≥ indices.length)
 * so that its shape comes from a small set (see bucket.ts). Padding rows
 * repeat no sample: their inputs and targets are zero and the mask drops them.
 */
export function makeBatch(ds: Dataset, indices: Uint32Array, outputUnits: number, rows = indices.length, augmentSeed: number | null = null): Batch {
  const n = indices.length;
  if (rows < n) throw new Error(`batch of ${n} samples cannot fit ${rows} rows`);
  const d = sampleSize(ds.meta);
  let xs = gatherInputs(ds, indices);
  if (augmentSeed !== null && ds.meta.inputShape.length === 3) xs = augmentImages(xs, n, ds.meta.inputShape, augmentSeed);
  let ys = gatherTargets(ds, indices, outputUnits);
  const yShape = targetShape(ds.meta, outputUnits);
  const perRow = yShape.reduce((a, b) => a * b, 1);
  let mask: tf.Tensor1D | null = null;
  if (rows > n) {
    xs = grow(xs, rows * d);
    ys = grow(ys, rows * perRow);
    const m = new Float32Array(rows);
    m.fill(1, 0, n);
    mask = tf.tensor1d(m, 'float32');
  }
  return {
    x: tf.tensor(xs, [rows, ...ds.meta.inputShape], 'float32'),
    y: tf.tensor(ys, [rows, ...yShape], 'float32'),
    mask,
    count: n,
  };
}

function grow(a: Float32Array, length: number): Float32Array {
  const out = new Float32Array(length);
  out.set(a);
  return out;
}
