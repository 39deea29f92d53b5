import { describe, expect, it } from 'vitest';
import { AdamOptimizer } from '../../shared/optim/adam';
import { AdamWOptimizer } from '../../shared/optim/adamw';
import { randomArray, rng } from './oracle';

// tfjs has no AdamW, so the numbers here are worked by hand from
// Loshchilov & Hutter / torch.optim.AdamW: decay the weight, then take Adam's step.
describe('AdamWOptimizer', () => {
  it('worked numbers: decoupled decay, then Adam', () => {
    const opt = new AdamWOptimizer(2, { weightDecay: 0.1 });
    const w = new Float32Array([1, -2]);
    // lr = 0.1, wd = 0.1, beta1 = 0.9, beta2 = 0.999, eps = 1e-7
    // step 1, g = [1, -0.5]:
    //   w[0]: m_hat = 1,    v_hat = 1,    w = 1  - 0.1*0.1*1    - 0.1 * 1/(1 + 1e-7)       = 0.89
    //   w[1]: m_hat = -0.5, v_hat = 0.25, w = -2 - 0.1*0.1*(-2) - 0.1 * (-0.5)/(0.5 + 1e-7) = -1.88
    opt.step(w, new Float32Array([1, -0.5]), 0.1);
    expect(w[0]).toBeCloseTo(0.89, 6);
    expect(w[1]).toBeCloseTo(-1.88, 6);
    // step 2, g = [0, 0]: m_hat = 0.47368421, v_hat = 0.49974987 (as Adam's test) for w[0]
    //   w[0] = 0.89 - 0.1*0.1*0.89 - 0.1 * 0.47368421/(0.70692989 + 1e-7) = 0.8811 - 0.06700582 = 0.81409418
    opt.step(w, new Float32Array([0, 0]), 0.1);
    expect(w[0]).toBeCloseTo(0.81409418, 6);
  });

  it('decays a weight with zero gradient by exactly lr*wd per step, unlike an L2 penalty through Adam', () => {
    const opt = new AdamWOptimizer(1, { weightDecay: 0.5 });
    const w = new Float32Array([4]);
    // g = 0 so m = v = 0 and Adam's step is 0/(0 + eps) = 0: w = 4 * (1 - 0.01*0.5) = 3.98
    opt.step(w, new Float32Array([0]), 0.01);
    expect(w[0]).toBeCloseTo(3.98, 6);
  });

  it('with weightDecay 0 is Adam, bit for bit', () => {
    const next = rng(3);
    const a = randomArray(1000, next);
    const b = a.slice();
    const adam = new AdamOptimizer(1000);
    const adamw = new AdamWOptimizer(1000, { weightDecay: 0 });
    for (let s = 0; s < 5; s++) {
      const g = randomArray(1000, next);
      adam.step(a, g, 0.01);
      adamw.step(b, g, 0.01);
    }
    expect(new Uint32Array(b.buffer)).toEqual(new Uint32Array(a.buffer));
  });

  it('defaults weightDecay to 0.01, as PyTorch', () => {
    expect(new AdamWOptimizer(1).weightDecay).toBe(0.01);
  });
});
