import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOptimizer } from '../../shared/optim/create';
import { SgdOptimizer } from '../../shared/optim/sgd';
import { compareWithTfjs, expectNoLeak, LAYER_SHAPES } from './oracle';

const size = LAYER_SHAPES.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('SgdOptimizer', () => {
  it('worked numbers: w -= lr * g', () => {
    const w = new Float32Array([1, 2]);
    // lr = 0.1, g = [1, -1]: w = [1 - 0.1, 2 + 0.1] = [0.9, 2.1]
    new SgdOptimizer(2).step(w, new Float32Array([1, -1]), 0.1);
    expect(w[0]).toBeCloseTo(0.9, 6);
    expect(w[1]).toBeCloseTo(2.1, 6);
  });

  it('matches tf.train.sgd step by step, without leaking tensors', () => {
    const r = compareWithTfjs(createOptimizer({ name: 'sgd' }, size), () => tf.train.sgd(0.05), 0.05);
    for (const w of r.worst) expect(w).toBeLessThanOrEqual(1);
    expect(r.grewDuringSteps).toBe(0);
    expectNoLeak(r, 0, size); // no slots
  });
});
