import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../shared/data/dataset';
import { makeBatch } from './batch';
import { lossSum, type LossName } from './loss';
import type { BoundModel } from './model';

/**
 * One shard's contribution to a step: the gradient of the loss SUM over the
 * shard's samples, flattened in the coordinator's layout, and the loss sum.
 * Summing (not averaging) makes the coordinator's weighted average exact for
 * any split of the global batch.
 */
export interface ShardGradient {
  grad: Float32Array;
  lossSum: number;
  count: number;
  /** Non-trainable weights after the shard (batch-norm moving stats), times count. */
  stateSum: Float32Array;
}

export async function shardGradient(
  bound: BoundModel,
  ds: Dataset,
  loss: LossName,
  indices: Uint32Array,
  outputUnits: number,
  rows = indices.length,
  augmentSeed: number | null = null,
): Promise<ShardGradient> {
  const count = indices.length;
  const { x, y, mask } = makeBatch(ds, indices, outputUnits, rows, augmentSeed);
  let value: tf.Scalar | null = null;
  let grads: tf.NamedTensorMap | null = null;
  let flat: tf.Tensor | null = null;
  try {
    const r = tf.variableGrads(() => lossSum(loss, y, bound.model.apply(x, { training: true }) as tf.Tensor, mask), bound.trainable);
    value = r.value;
    grads = r.grads;
    const g = grads;
    const v = value;
    // One readback for the whole result: every GPU->CPU read waits for the GPU and costs a sync,
    // so the gradient, the loss and the batch-norm state come back as one concatenated vector.
    flat = tf.tidy(() => tf.concat([...bound.trainable.map((w) => tensorFor(g, w).reshape([-1])), v.reshape([1]), ...bound.state.map((w) => w.reshape([-1]))]));
    const all = (await flat.data()) as Float32Array;
    const t = bound.trainableSize;
    const stateSum = all.subarray(t + 1);
    for (let i = 0; i < stateSum.length; i++) stateSum[i]! *= count;
    return { grad: all.subarray(0, t), lossSum: all[t]!, count, stateSum };
  } finally {
    x.dispose();
    y.dispose();
    mask?.dispose();
    value?.dispose();
    if (grads) for (const t of Object.values(grads)) t.dispose();
    flat?.dispose();
  }
}

function tensorFor(grads: tf.NamedTensorMap, v: tf.Variable): tf.Tensor {
  const g = grads[v.name];
  // A variable the loss does not reach (it cannot happen for a connected model) gets a zero gradient.
  return g ?? tf.zerosLike(v);
}
