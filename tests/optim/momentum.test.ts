import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOptimizer } from '../../shared/optim/create';
import { MomentumOptimizer } from '../../shared/optim/momentum';
import { compareWithTfjs, expectNoLeak, LAYER_SHAPES } from './oracle';

const size = LAYER_SHAPES.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('MomentumOptimizer', () => {
  it('worked numbers, classical', () => {
    const opt = new MomentumOptimizer(1, 0.5);
    const w = new Float32Array([1]);
    const g = new Float32Array([1]);
    // lr = 0.1, momentum = 0.5, g = 1 each step
    // step 1: accum = 0.5*0 + 1 = 1,   w = 1   - 0.1*1   = 0.9
    opt.step(w, g, 0.1);
    expect(w[0]).toBeCloseTo(0.9, 6);
    // step 2: accum = 0.5*1 + 1 = 1.5, w = 0.9 - 0.1*1.5 = 0.75
    opt.step(w, g, 0.1);
    expect(w[0]).toBeCloseTo(0.75, 6);
    expect(opt.state().slots.accum![0]).toBeCloseTo(1.5, 6);
  });

  it('worked numbers, Nesterov looks ahead with the new accum', () => {
    const opt = new MomentumOptimizer(1, 0.5, true);
    expect(opt.name).toBe('nesterov');
    const w = new Float32Array([1]);
    const g = new Float32Array([1]);
    // step 1: accum = 1,   w = 1    - 0.1*(1 + 0.5*1)   = 0.85
    opt.step(w, g, 0.1);
    expect(w[0]).toBeCloseTo(0.85, 6);
    // step 2: accum = 1.5, w = 0.85 - 0.1*(1 + 0.5*1.5) = 0.675
    opt.step(w, g, 0.1);
    expect(w[0]).toBeCloseTo(0.675, 6);
  });

  it.each([
    ['momentum', false],
    ['nesterov', true],
  ] as const)('%s matches tf.train.momentum step by step, without leaking tensors', (name, useNesterov) => {
    const r = compareWithTfjs(createOptimizer({ name, momentum: 0.9 }, size), () => tf.train.momentum(0.01, 0.9, useNesterov), 0.01, 8);
    for (const w of r.worst) expect(w).toBeLessThanOrEqual(1);
    expect(r.grewDuringSteps).toBe(0);
    // (tfjs 4.22's MomentumOptimizer.dispose() never frees the -lr scalar
    // SGD's constructor kept: theirs, and not counted against ours.)
    expectNoLeak(r, 1, size); // accum
  });
});
