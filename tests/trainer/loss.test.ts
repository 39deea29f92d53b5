import '../../coordinator/tfjsNode';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lossSum, type LossName } from '../../client/trainer/loss';

/** Each loss SUM equals the batch size times the tfjs (Keras) mean loss on random inputs. */
const oracle: Record<LossName, (y: tf.Tensor, p: tf.Tensor) => tf.Tensor> = {
  categorical_crossentropy: (y, p) => tf.metrics.categoricalCrossentropy(y, p),
  binary_crossentropy: (y, p) => tf.metrics.binaryCrossentropy(y, p),
  mse: (y, p) => tf.metrics.meanSquaredError(y, p),
  mae: (y, p) => tf.metrics.meanAbsoluteError(y, p),
  // tf.losses.hingeLoss maps 0/1 labels to -1/+1 itself; mean over units per sample, as Keras's hinge.
  hinge: (y, p) => tf.mean(tf.losses.hingeLoss(y, p, undefined, tf.Reduction.NONE), -1),
  squared_hinge: (y, p) => tf.mean(tf.square(tf.losses.hingeLoss(y, p, undefined, tf.Reduction.NONE)), -1),
};

function inputs(name: LossName, n: number, k: number): { y: tf.Tensor2D; p: tf.Tensor2D } {
  return tf.tidy(() => {
    if (name === 'categorical_crossentropy') {
      const y = tf.oneHot(tf.randomUniform([n], 0, k, 'int32', 7) as tf.Tensor1D, k).toFloat() as tf.Tensor2D;
      return { y, p: tf.softmax(tf.randomNormal([n, k], 0, 2, 'float32', 8)) as tf.Tensor2D };
    }
    if (name === 'hinge' || name === 'squared_hinge') {
      // one-hot targets, raw scores around the margin
      const y = tf.oneHot(tf.randomUniform([n], 0, k, 'int32', 13) as tf.Tensor1D, k).toFloat() as tf.Tensor2D;
      return { y, p: tf.randomNormal([n, k], 0, 1.5, 'float32', 14) as tf.Tensor2D };
    }
    if (name === 'binary_crossentropy') {
      const y = tf.randomUniform([n, k], 0, 2, 'int32', 9).toFloat() as tf.Tensor2D;
      return { y, p: tf.sigmoid(tf.randomNormal([n, k], 0, 2, 'float32', 10)) as tf.Tensor2D };
    }
    return { y: tf.randomNormal([n, k], 0, 3, 'float32', 11) as tf.Tensor2D, p: tf.randomNormal([n, k], 0, 3, 'float32', 12) as tf.Tensor2D };
  });
}

describe('losses equal their tfjs implementation', () => {
  for (const name of Object.keys(oracle) as LossName[]) {
    it(name, () => {
      const n = 37;
      const { y, p } = inputs(name, n, name === 'binary_crossentropy' ? 1 : 5);
      const ours = lossSum(name, y, p).dataSync()[0]!;
      const theirs = tf.sum(oracle[name](y, p)).dataSync()[0]!;
      expect(Math.abs(ours - theirs) / Math.max(1, Math.abs(theirs))).toBeLessThan(1e-5);
      // A mask of ones changes nothing; a zero drops exactly that sample.
      const mask = tf.tensor1d(Array.from({ length: n }, (_, i) => (i === 3 ? 0 : 1)));
      const dropped = lossSum(name, y, p, mask).dataSync()[0]!;
      const row3 = oracle[name](y.slice([3, 0], [1, -1]), p.slice([3, 0], [1, -1])).dataSync()[0]!;
      expect(dropped).toBeCloseTo(ours - row3, 3);
      tf.dispose([y, p, mask]);
    });
  }
});
