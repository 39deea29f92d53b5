import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOptimizer } from '../../shared/optim/create';
import { RmspropOptimizer } from '../../shared/optim/rmsprop';
import { compareWithTfjs, expectNoLeak, LAYER_SHAPES } from './oracle';

const size = LAYER_SHAPES.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('RmspropOptimizer', () => {
  it('worked numbers, plain', () => {
    const opt = new RmspropOptimizer(1);
    const w = new Float32Array([1]);
    // lr = 0.1, rho = 0.9, g = 1: ms = 0.1*1 = 0.1
    // w = 1 - 0.1 * 1/sqrt(0.1 + 1e-7) = 1 - 0.31622761 = 0.68377239
    opt.step(w, new Float32Array([1]), 0.1);
    expect(w[0]).toBeCloseTo(0.68377239, 6);
  });

  it('worked numbers, centered with momentum', () => {
    const opt = new RmspropOptimizer(1, { centered: true, momentum: 0.5 });
    const w = new Float32Array([1]);
    const g = new Float32Array([1]);
    // step 1: ms = 0.1, mg = 0.1, variance = 0.1 - 0.01 = 0.09
    //         mom = 0.1 * 1/sqrt(0.09 + 1e-7) = 0.33333315,  w = 0.66666685
    opt.step(w, g, 0.1);
    expect(w[0]).toBeCloseTo(0.66666685, 6);
    // step 2: ms = 0.09 + 0.1 = 0.19, mg = 0.09 + 0.1 = 0.19, variance = 0.19 - 0.0361 = 0.1539
    //         mom = 0.5*0.33333315 + 0.1/sqrt(0.1539 + 1e-7) = 0.16666657 + 0.25490628 = 0.42157285
    //         w = 0.66666685 - 0.42157285 = 0.24509400
    opt.step(w, g, 0.1);
    expect(w[0]).toBeCloseTo(0.245094, 6);
  });

  it.each([
    ['plain', {}, 0],
    ['with momentum', { momentum: 0.9 }, 0.9],
  ] as const)('%s matches tf.train.rmsprop step by step, without leaking tensors', (_, extra, momentum) => {
    const r = compareWithTfjs(createOptimizer({ name: 'rmsprop', ...extra }, size), () => tf.train.rmsprop(0.001, 0.9, momentum), 0.001);
    for (const w of r.worst) expect(w).toBeLessThanOrEqual(1);
    expect(r.grewDuringSteps).toBe(0);
    expectNoLeak(r, 2, size); // ms, mom
  });

  // tfjs 4.22's centered branch computes sqrt(ms - (mg^2 + epsilon)); ours,
  // like TensorFlow and Keras, sqrt(ms - mg^2 + epsilon). Handing tfjs
  // epsilon = -1e-7 makes it compute exactly our formula, so it stays an oracle.
  it('centered (with momentum) matches tf.train.rmsprop given the sign-flipped epsilon', () => {
    const ours = createOptimizer({ name: 'rmsprop', centered: true, momentum: 0.5 }, size);
    const r = compareWithTfjs(ours, () => tf.train.rmsprop(0.001, 0.9, 0.5, -1e-7, true), 0.001);
    for (const w of r.worst) expect(w).toBeLessThanOrEqual(1);
    expect(r.grewDuringSteps).toBe(0);
    expectNoLeak(r, 3, size); // ms, mom, mg
  });

  it('centered stays finite for a tiny first gradient, where tfjs gives NaN', () => {
    const g = 1e-4;
    // ms = 1e-9, mg = 1e-5, variance = 1e-9 - 1e-10 = 9e-10, below epsilon
    const w = new Float32Array([1]);
    new RmspropOptimizer(1, { centered: true }).step(w, new Float32Array([g]), 0.001);
    // w = 1 - 0.001 * 1e-4 / sqrt(9e-10 + 1e-7) = 1 - 3.14814e-4
    expect(w[0]).toBeCloseTo(1 - 3.14814e-4, 6);

    const v = tf.tidy(() => tf.variable(tf.scalar(1)));
    const theirs = tf.train.rmsprop(0.001, 0.9, 0, undefined, true);
    tf.tidy(() => theirs.applyGradients({ [v.name]: tf.scalar(g) }));
    expect(Number.isNaN(v.dataSync()[0])).toBe(true);
    theirs.dispose();
    v.dispose();
  });
});
