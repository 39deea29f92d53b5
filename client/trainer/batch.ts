import * as tf from '@tensorflow/tfjs';
import { sampleSize, type Dataset } from '../../shared/data/dataset';

/**
 * Gathers the samples of a shard into input and target tensors. Image bytes
 * are scaled to [0, 1] here, which is the input the exported model expects.
 */
export interface Batch {
  x: tf.Tensor;
  y: tf.Tensor;
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

export function makeBatch(ds: Dataset, indices: Uint32Array, outputUnits: number): Batch {
  const n = indices.length;
  return {
    x: tf.tensor(gatherInputs(ds, indices), [n, ...ds.meta.inputShape], 'float32'),
    y: tf.tensor2d(gatherTargets(ds, indices, outputUnits), [n, outputUnits], 'float32'),
  };
}
