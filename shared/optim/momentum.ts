import { checkSetting, checkSize } from './settings';
import { checkStep, copySlots, loadSlots } from './slots';
import type { Optimizer, OptimizerState } from './types';

/**
 * Momentum SGD, exactly as tf.train.momentum(lr, momentum, useNesterov):
 *
 *   accum = momentum * accum + g
 *   w    -= lr * accum                     (classical)
 *   w    -= lr * (g + momentum * accum)    (Nesterov, using the new accum)
 *
 * The learning rate stays outside the accumulator, so changing lr between
 * steps rescales the whole velocity at once (as in tfjs and PyTorch).
 * tf.train.momentum has no default momentum, so neither has this class.
 */
export class MomentumOptimizer implements Optimizer {
  readonly name: 'momentum' | 'nesterov';
  readonly size: number;
  readonly momentum: number;
  readonly useNesterov: boolean;
  private readonly accum: Float32Array;
  private t = 0;

  constructor(size: number, momentum: number, useNesterov = false) {
    this.name = useNesterov ? 'nesterov' : 'momentum';
    this.size = checkSize(this.name, size);
    this.momentum = checkSetting(this.name, 'momentum', momentum, '[0, 1)');
    this.useNesterov = useNesterov;
    this.accum = new Float32Array(this.size);
  }

  step(params: Float32Array, grad: Float32Array, lr: number): void {
    checkStep(this, params, grad);
    const mu = this.momentum;
    const nesterov = this.useNesterov;
    const accum = this.accum;
    for (let i = 0; i < this.size; i++) {
      const g = grad[i];
      const a = mu * accum[i] + g;
      accum[i] = a;
      params[i] -= lr * (nesterov ? g + mu * a : a);
    }
    this.t++;
  }

  /** Returns copies of the slots. */
  state(): OptimizerState {
    return { name: this.name, t: this.t, slots: copySlots({ accum: this.accum }) };
  }

  load(state: OptimizerState): void {
    this.t = loadSlots(this, state, { accum: this.accum });
  }
}
