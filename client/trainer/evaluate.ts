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
      else errorSums(e, (p as Float32Array).subarray(0, real), (t as Float32Array).subarray(0, real));
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

function errorSums(e: ShardEvaluation, p: Float32Array, t: Float32Array): void {
  for (let i = 0; i < p.length; i++) {
    const d = t[i]! - p[i]!;
    e.absErrSum += Math.abs(d);
    e.sqErrSum += d * d;
    // MAPE skips zero targets rather than dividing by zero.
    if (t[i] !== 0) e.apeSum += Math.abs(d / t[i]!);
  }
}
