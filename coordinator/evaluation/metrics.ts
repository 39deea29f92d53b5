/**
 * Metrics over a whole split from the sums peers return: loss, accuracy, the
 * confusion matrix and what follows from it (per-class and macro precision,
 * recall and F1; specificity for two classes), or MAE/MSE/MAPE for regression.
 */
export interface EvalSums {
  count: number;
  lossSum: number;
  absErrSum: number;
  sqErrSum: number;
  apeSum: number;
  classes: number;
  confusion: Uint32Array;
  /** Number of regression targets per sample (1 for classification). */
  targets: number;
}

export interface ClassificationMetrics {
  loss: number;
  accuracy: number;
  precision: number[];
  recall: number[];
  f1: number[];
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  /** Two classes only: true negatives / all negatives, class 1 positive. */
  specificity: number | null;
  confusion: number[][];
}

export interface RegressionMetrics {
  loss: number;
  mae: number;
  mse: number;
  mape: number;
  /** Coefficient of determination 1 - SSE / SST (SST about the split's own mean); null when the targets do not vary. */
  r2: number | null;
}

/** A character model's: loss per character (nats), perplexity e^loss, bits per character, next-character accuracy. */
export interface SequenceMetrics {
  loss: number;
  perplexity: number;
  bitsPerChar: number;
  accuracy: number;
}

/** From the sums of client/trainer/evaluate.ts: lossSum is per-character means per sample, absErrSum the per-sample error rates. */
export function sequenceMetrics(s: EvalSums): SequenceMetrics {
  const loss = safe(s.lossSum, s.count);
  return { loss, perplexity: Math.exp(loss), bitsPerChar: loss / Math.LN2, accuracy: 1 - safe(s.absErrSum, s.count) };
}

export function emptySums(classes: number, targets: number): EvalSums {
  return { count: 0, lossSum: 0, absErrSum: 0, sqErrSum: 0, apeSum: 0, classes, confusion: new Uint32Array(classes * classes), targets };
}

export function addSums(into: EvalSums, r: Omit<EvalSums, 'targets'>): void {
  into.count += r.count;
  into.lossSum += r.lossSum;
  into.absErrSum += r.absErrSum;
  into.sqErrSum += r.sqErrSum;
  into.apeSum += r.apeSum;
  for (let i = 0; i < into.confusion.length; i++) into.confusion[i]! += r.confusion[i]!;
}

const safe = (a: number, b: number): number => (b === 0 ? 0 : a / b);

export function classificationMetrics(s: EvalSums): ClassificationMetrics {
  const k = s.classes;
  const m: number[][] = [];
  for (let t = 0; t < k; t++) m.push(Array.from(s.confusion.subarray(t * k, (t + 1) * k)));
  let correct = 0;
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  for (let c = 0; c < k; c++) {
    const tp = m[c]![c]!;
    correct += tp;
    const predicted = m.reduce((a, row) => a + row[c]!, 0);
    const actual = m[c]!.reduce((a, b) => a + b, 0);
    const p = safe(tp, predicted);
    const r = safe(tp, actual);
    precision.push(p);
    recall.push(r);
    f1.push(safe(2 * p * r, p + r));
  }
  const mean = (xs: number[]): number => safe(xs.reduce((a, b) => a + b, 0), xs.length);
  const specificity = k === 2 ? safe(m[0]![0]!, m[0]![0]! + m[0]![1]!) : null;
  return {
    loss: safe(s.lossSum, s.count),
    accuracy: safe(correct, s.count),
    precision,
    recall,
    f1,
    macroPrecision: mean(precision),
    macroRecall: mean(recall),
    macroF1: mean(f1),
    specificity,
    confusion: m,
  };
}

/** `sst`: the split's total sum of squares of the targets (shared/data/targets.ts), for R^2. */
export function regressionMetrics(s: EvalSums, sst = 0): RegressionMetrics {
  const n = s.count * Math.max(1, s.targets);
  return { loss: safe(s.lossSum, s.count), mae: safe(s.absErrSum, n), mse: safe(s.sqErrSum, n), mape: 100 * safe(s.apeSum, n), r2: sst > 0 ? 1 - s.sqErrSum / sst : null };
}
