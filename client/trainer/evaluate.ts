import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../shared/data/dataset';
import { makeBatch } from './batch';
import { isMarginLoss } from '../../shared/config/names';
import { lossSum, type LossName } from './loss';
import type { BoundModel } from './model';

/**
 * Evaluation of a shard of the validation or test split: sums that the
 * coordinator adds up across peers (loss, confusion matrix, regression error
 * sums), so metrics over the whole split are exact however it was cut.
 */
export interface ShardEvaluation {
  count: number;
  lossSum: number;
  absErrSum: number;
  sqErrSum: number;
  apeSum: number;
  classes: number;
  /** classes x classes, row = true class, column = predicted. */
  confusion: Uint32Array;
  /** Flat pairs (sample index, predicted class) of misclassified samples, capped. */
  misclassified: Uint32Array;
}

const MAX_MISCLASSIFIED_PER_SHARD = 32;
const EVAL_CHUNK = 512;

export async function evaluateShard(
  bound: BoundModel,
  ds: Dataset,
  loss: LossName,
  indices: Uint32Array,
  outputUnits: number,
  rowsFor: (n: number) => number = (n) => n,
): Promise<ShardEvaluation> {
  const classification = ds.meta.task === 'classification';
  const classes = classification ? ds.meta.numClasses : 0;
  const e: ShardEvaluation = {
    count: indices.length,
    lossSum: 0,
    absErrSum: 0,
    sqErrSum: 0,
    apeSum: 0,
    classes,
    confusion: new Uint32Array(classes * classes),
    misclassified: new Uint32Array(0),
  };
  const wrong: number[] = [];
  for (let at = 0; at < indices.length; at += EVAL_CHUNK) {
    const chunk = indices.subarray(at, Math.min(indices.length, at + EVAL_CHUNK));
    const { x, y, mask } = makeBatch(ds, chunk, outputUnits, rowsFor(chunk.length));
    const pred = bound.model.apply(x, { training: false }) as tf.Tensor;
    const l = lossSum(loss, y, pred, mask);
    try {
      const [p, t, lv] = await Promise.all([pred.data(), y.data(), l.data()]);
      e.lossSum += lv[0]!;
      // Padding rows (after the chunk's own) are ignored.
      const real = chunk.length * outputUnits;
      if (classification) tally(e, chunk, p as Float32Array, ds, outputUnits, wrong, isMarginLoss(loss) ? 0 : 0.5);
      else if (ds.meta.task === 'sequence') characterErrors(e, chunk.length, p as Float32Array, t as Float32Array, ds.meta.inputShape[0]!, outputUnits);
      else errorSums(e, (p as Float32Array).subarray(0, real), (t as Float32Array).subarray(0, real), ds.meta.task === 'reconstruction' ? outputUnits : 1);
    } finally {
      x.dispose();
      y.dispose();
      mask?.dispose();
      pred.dispose();
      l.dispose();
    }
  }
  e.misclassified = Uint32Array.from(wrong);
  return e;
}

/** `threshold`: a single unit's decision point, 0.5 for a probability, 0 for an SVM's score. */
function tally(e: ShardEvaluation, chunk: Uint32Array, p: Float32Array, ds: Dataset, units: number, wrong: number[], threshold: number): void {
  for (let i = 0; i < chunk.length; i++) {
    const truth = ds.labels[chunk[i]!]!;
    let predicted = 0;
    if (units === 1) {
      predicted = p[i]! >= threshold ? 1 : 0;
    } else {
      let best = -Infinity;
      for (let k = 0; k < units; k++) {
        const v = p[i * units + k]!;
        if (v > best) {
          best = v;
          predicted = k;
        }
      }
    }
    e.confusion[truth * e.classes + predicted]! += 1;
    if (predicted !== truth && wrong.length < 2 * MAX_MISCLASSIFIED_PER_SHARD) wrong.push(chunk[i]!, predicted);
  }
}

/** `perSample`: values averaged into one per sample (an autoencoder's pixels), so MSE is per pixel. */
function errorSums(e: ShardEvaluation, p: Float32Array, t: Float32Array, perSample: number): void {
  let abs = 0;
  let sq = 0;
  let ape = 0;
  for (let i = 0; i < p.length; i++) {
    const d = t[i]! - p[i]!;
    abs += Math.abs(d);
    sq += d * d;
    // MAPE skips zero targets rather than dividing by zero.
    if (t[i] !== 0) ape += Math.abs(d / t[i]!);
  }
  e.absErrSum += abs / perSample;
  e.sqErrSum += sq / perSample;
  e.apeSum += ape / perSample;
}

/**
 * A character model's errors: per sample, the fraction of positions whose
 * most likely next character is not the true one, summed into absErrSum
 * (so the split's character accuracy is 1 - absErrSum / count).
 */
function characterErrors(e: ShardEvaluation, n: number, p: Float32Array, t: Float32Array, positions: number, vocab: number): void {
  for (let i = 0; i < n; i++) {
    let wrong = 0;
    for (let q = 0; q < positions; q++) {
      const at = (i * positions + q) * vocab;
      let best = 0;
      for (let k = 1; k < vocab; k++) if (p[at + k]! > p[at + best]!) best = k;
      if (t[at + best] !== 1) wrong++;
    }
    e.absErrSum += wrong / positions;
  }
}
