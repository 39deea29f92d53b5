import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamOptimizer } from '../../shared/optim/adam';
import { createOptimizer } from '../../shared/optim/create';
import { compareWithTfjs, expectNoLeak, LAYER_SHAPES } from './oracle';

const size = LAYER_SHAPES.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('AdamOptimizer', () => {
  it('worked numbers, with bias correction', () => {
    const opt = new AdamOptimizer(1);
    const w = new Float32Array([1]);
    // lr = 0.1, beta1 = 0.9, beta2 = 0.999, eps = 1e-7
    // step 1, g = 1: m = 0.1, v = 0.001, m_hat = 0.1/0.1 = 1, v_hat = 0.001/0.001 = 1
    //                w = 1 - 0.1 * 1/(1 + 1e-7) ≈ 0.9
    opt.step(w, new Float32Array([1]), 0.1);
    expect(w[0]).toBeCloseTo(0.9, 6);
    const s = opt.state();
    expect(s.t).toBe(1);
    expect(s.slots.m![0]).toBeCloseTo(0.1, 7);
    expect(s.slots.v![0]).toBeCloseTo(0.001, 7);
    // step 2, g = 0: m = 0.09, v = 0.000999
    //                m_hat = 0.09/(1 - 0.81) = 0.47368421, v_hat = 0.000999/(1 - 0.998001) = 0.49974987
    //                w = 0.9 - 0.1 * 0.47368421/(0.70692989 + 1e-7) = 0.9 - 0.06700582 = 0.83299418
    opt.step(w, new Float32Array([0]), 0.1);
    expect(w[0]).toBeCloseTo(0.83299418, 6);
  });

  it('matches tf.train.adam (its defaults) step by step, without leaking tensors', () => {
    const r = compareWithTfjs(createOptimizer({ name: 'adam' }, size), () => tf.train.adam(0.01), 0.01, 8);
    for (const w of r.worst) expect(w).toBeLessThanOrEqual(1);
    expect(r.grewDuringSteps).toBe(0);
    expectNoLeak(r, 2, size); // m, v
  });

  it('matches tf.train.adam with other betas and epsilon', () => {
    const ours = createOptimizer({ name: 'adam', beta1: 0.8, beta2: 0.9, epsilon: 1e-4 }, size);
    const r = compareWithTfjs(ours, () => tf.train.adam(0.003, 0.8, 0.9, 1e-4), 0.003, 6, 7);
    for (const w of r.worst) expect(w).toBeLessThanOrEqual(1);
    expectNoLeak(r, 2, size);
  });
});
