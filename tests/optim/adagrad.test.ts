import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdagradOptimizer } from '../../shared/optim/adagrad';
import { createOptimizer } from '../../shared/optim/create';
import { compareWithTfjs, expectNoLeak, LAYER_SHAPES } from './oracle';

const size = LAYER_SHAPES.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('AdagradOptimizer', () => {
  it('worked numbers', () => {
    const opt = new AdagradOptimizer(1, { initialAccumulatorValue: 0 });
    const w = new Float32Array([1]);
    const g = new Float32Array([2]);
    // lr = 0.1, accum starts at 0, g = 2
    // step 1: accum = 4, w = 1   - 0.1 * 2/sqrt(4 + 1e-7) = 0.9
    opt.step(w, g, 0.1);
    expect(w[0]).toBeCloseTo(0.9, 6);
    // step 2: accum = 8, w = 0.9 - 0.1 * 2/sqrt(8 + 1e-7) = 0.9 - 0.07071068 = 0.82928932
    opt.step(w, g, 0.1);
    expect(w[0]).toBeCloseTo(0.82928932, 6);
  });

  it('starts the accumulator at 0.1, as tfjs', () => {
    expect(new AdagradOptimizer(3).state().slots.accum).toEqual(new Float32Array([0.1, 0.1, 0.1]));
  });

  it('matches tf.train.adagrad step by step, without leaking tensors', () => {
    const r = compareWithTfjs(createOptimizer({ name: 'adagrad' }, size), () => tf.train.adagrad(0.05), 0.05);
    for (const w of r.worst) expect(w).toBeLessThanOrEqual(1);
    expect(r.grewDuringSteps).toBe(0);
    expectNoLeak(r, 1, size); // accum
  });
});
