import { describe, expect, it } from 'vitest';
import { addSums, classificationMetrics, emptySums, regressionMetrics } from '../../coordinator/evaluation/metrics';

describe('metrics from summed shards, against hand-worked numbers', () => {
  it('three classes: accuracy, per-class and macro precision/recall/F1', () => {
    // rows = true, columns = predicted
    // [5 1 0]
    // [2 3 1]
    // [0 0 4]
    const s = emptySums(3, 1);
    // Two shards whose confusion matrices add up to the one above.
    addSums(s, { count: 10, lossSum: 4, absErrSum: 0, sqErrSum: 0, apeSum: 0, classes: 3, confusion: Uint32Array.from([3, 1, 0, 1, 2, 0, 0, 0, 3]) });
    addSums(s, { count: 6, lossSum: 2, absErrSum: 0, sqErrSum: 0, apeSum: 0, classes: 3, confusion: Uint32Array.from([2, 0, 0, 1, 1, 1, 0, 0, 1]) });
    const m = classificationMetrics(s);
    expect(m.confusion).toEqual([[5, 1, 0], [2, 3, 1], [0, 0, 4]]);
    expect(m.loss).toBeCloseTo(6 / 16);
    expect(m.accuracy).toBeCloseTo(12 / 16);
    expect(m.precision[0]).toBeCloseTo(5 / 7);
    expect(m.precision[1]).toBeCloseTo(3 / 4);
    expect(m.precision[2]).toBeCloseTo(4 / 5);
    expect(m.recall[0]).toBeCloseTo(5 / 6);
    expect(m.recall[1]).toBeCloseTo(3 / 6);
    expect(m.recall[2]).toBeCloseTo(1);
    const f1 = (p: number, r: number): number => (2 * p * r) / (p + r);
    expect(m.f1[1]).toBeCloseTo(f1(3 / 4, 1 / 2));
    expect(m.macroPrecision).toBeCloseTo((5 / 7 + 3 / 4 + 4 / 5) / 3);
    expect(m.macroRecall).toBeCloseTo((5 / 6 + 1 / 2 + 1) / 3);
    expect(m.specificity).toBeNull();
  });

  it('binary: specificity is TN / (TN + FP) with class 1 positive; an absent class gives 0, not NaN', () => {
    const s = emptySums(2, 1);
    // [TN FP] = [8 2], [FN TP] = [1 9]
    addSums(s, { count: 20, lossSum: 5, absErrSum: 0, sqErrSum: 0, apeSum: 0, classes: 2, confusion: Uint32Array.from([8, 2, 1, 9]) });
    const m = classificationMetrics(s);
    expect(m.specificity).toBeCloseTo(0.8);
    expect(m.recall[1]).toBeCloseTo(0.9);
    expect(m.precision[1]).toBeCloseTo(9 / 11);
    const none = emptySums(2, 1);
    addSums(none, { count: 3, lossSum: 1, absErrSum: 0, sqErrSum: 0, apeSum: 0, classes: 2, confusion: Uint32Array.from([3, 0, 0, 0]) });
    const z = classificationMetrics(none);
    expect(z.precision[1]).toBe(0);
    expect(Number.isNaN(z.f1[1])).toBe(false);
  });

  it('regression: MAE, MSE and MAPE over every target', () => {
    // targets 2, 4 ; predictions 1, 5 -> errors 1, 1 ; APE 0.5, 0.25
    const s = emptySums(0, 1);
    addSums(s, { count: 2, lossSum: 1, absErrSum: 2, sqErrSum: 2, apeSum: 0.75, classes: 0, confusion: new Uint32Array(0) });
    const m = regressionMetrics(s);
    expect(m.mae).toBeCloseTo(1);
    expect(m.mse).toBeCloseTo(1);
    expect(m.mape).toBeCloseTo(37.5);
  });
});
