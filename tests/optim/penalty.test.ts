import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { addPenaltyGradients, penaltyLoss } from '../../shared/optim/penalty';
import { randomArray, rng } from './oracle';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('L1/L2 penalty', () => {
  const params = new Float32Array([1, -2, 0, 3]);
  const mask = new Uint8Array([1, 1, 1, 0]); // the last is a bias: not penalised

  it('gradient: grad += l1 * sign(w) + 2 * l2 * w where the mask is 1', () => {
    const grad = new Float32Array([0.5, 0.5, 0.5, 0.5]);
    // l1 = 0.01, l2 = 0.1
    //   w =  1: 0.5 + 0.01 + 0.2 = 0.71
    //   w = -2: 0.5 - 0.01 - 0.4 = 0.09
    //   w =  0: 0.5 + 0    + 0   = 0.5    (sign(0) = 0)
    //   masked: 0.5
    addPenaltyGradients(grad, params, mask, 0.01, 0.1);
    expect(grad[0]).toBeCloseTo(0.71, 6);
    expect(grad[1]).toBeCloseTo(0.09, 6);
    expect(grad[2]).toBe(0.5);
    expect(grad[3]).toBe(0.5);
  });

  it('loss: l1 * sum |w| + l2 * sum w^2 where the mask is 1; null mask = all', () => {
    // masked: 0.01 * (1 + 2 + 0) + 0.1 * (1 + 4 + 0) = 0.03 + 0.5 = 0.53
    expect(penaltyLoss(params, mask, 0.01, 0.1)).toBeCloseTo(0.53, 12);
    // all:    0.53 + 0.01 * 3 + 0.1 * 9 = 1.46
    expect(penaltyLoss(params, null, 0.01, 0.1)).toBeCloseTo(1.46, 6);
  });

  it('matches tf.regularizers.l1l2 and its tf.grad (away from w = 0)', () => {
    const w = randomArray(500, rng(5)).map((x) => (x === 0 ? 0.25 : x));
    const grad = new Float32Array(500);
    addPenaltyGradients(grad, w, null, 0.003, 0.02);
    const start = tf.memory().numTensors;
    const reg = tf.regularizers.l1l2({ l1: 0.003, l2: 0.02 });
    const [loss, dw] = tf.tidy(() => {
      const x = tf.tensor1d(w);
      return [reg.apply(x).dataSync()[0]!, tf.grad((t: tf.Tensor) => reg.apply(t))(x).dataSync()] as const;
    });
    expect(tf.memory().numTensors).toBe(start);
    expect(penaltyLoss(w, null, 0.003, 0.02)).toBeCloseTo(loss, 4);
    for (let i = 0; i < 500; i++) expect(grad[i]).toBeCloseTo(dw[i]!, 6);
  });

  it('refuses negative coefficients', () => {
    expect(() => penaltyLoss(params, null, -1, 0)).toThrow(/l1 must be a number >= 0, got -1/);
    expect(() => addPenaltyGradients(new Float32Array(4), params, null, 0, -0.1)).toThrow(/l2 must be a number >= 0/);
  });
});
