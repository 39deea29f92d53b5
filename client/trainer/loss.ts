import * as tf from '@tensorflow/tfjs';
import type { LossName } from '../../shared/config/names';

/**
 * Loss SUMS over a batch (not means): each peer returns the sum over its
 * shard, so the coordinator's count-weighted average is exact. Per-sample
 * formulas follow tfjs-layers / Keras, including the 1e-7 clipping.
 */
export type { LossName };

const EPSILON = 1e-7;

/** Sum over the batch of the per-sample loss; `mask` (1 real, 0 padding) drops padding rows. */
export function lossSum(name: LossName, yTrue: tf.Tensor, yPred: tf.Tensor, mask: tf.Tensor1D | null = null): tf.Scalar {
  return tf.tidy((): tf.Scalar => {
    let perSample: tf.Tensor = lossPerSample(name, yTrue, yPred);
    // A sequence's loss is the mean over its positions: per character, whatever the length.
    if (perSample.rank > 1) perSample = tf.mean(perSample, Array.from({ length: perSample.rank - 1 }, (_, i) => i + 1));
    return tf.sum(mask ? tf.mul(perSample, mask) : perSample) as tf.Scalar;
  });
}

/** The loss of each sample, shape [batch]. */
export function lossPerSample(name: LossName, yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor1D {
  return tf.tidy((): tf.Tensor1D => {
    switch (name) {
      case 'categorical_crossentropy': {
        // -sum_k y_k log p_k, p clipped to [eps, 1 - eps].
        const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
        return tf.neg(tf.sum(tf.mul(yTrue, tf.log(p)), -1)) as tf.Tensor1D;
      }
      case 'binary_crossentropy': {
        // -(y log p + (1 - y) log(1 - p)), averaged over outputs per sample.
        const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
        const perUnit = tf.neg(tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p)))));
        return tf.mean(perUnit, -1) as tf.Tensor1D;
      }
      case 'mse':
        return tf.mean(tf.square(tf.sub(yTrue, yPred)), -1) as tf.Tensor1D;
      case 'mae':
        return tf.mean(tf.abs(tf.sub(yTrue, yPred)), -1) as tf.Tensor1D;
      case 'hinge':
      case 'squared_hinge': {
        // One-vs-rest linear SVM: targets 0/1 (one-hot, or one unit for two classes) become t = -1/+1,
        // the outputs are raw scores s; per unit max(0, 1 - t s), squared for squared_hinge, mean over units.
        const t = tf.sub(tf.mul(yTrue, 2), 1);
        const margin = tf.relu(tf.sub(1, tf.mul(t, yPred)));
        return tf.mean(name === 'hinge' ? margin : tf.square(margin), -1) as tf.Tensor1D;
      }
    }
  });
}
