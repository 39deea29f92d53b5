import { checkSize } from './settings';
import { checkStep, loadSlots } from './slots';
import type { Optimizer, OptimizerState } from './types';

/** Plain gradient descent, as tf.train.sgd(lr):  w -= lr * g. */
export class SgdOptimizer implements Optimizer {
  readonly name = 'sgd' as const;
  readonly size: number;
  private t = 0;

  constructor(size: number) {
    this.size = checkSize('sgd', size);
  }

  step(params: Float32Array, grad: Float32Array, lr: number): void {
    checkStep(this, params, grad);
    for (let i = 0; i < this.size; i++) {
      params[i] -= lr * grad[i];
    }
    this.t++;
  }

  /** SGD keeps no slots; only the step count, so checkpoints look alike. */
  state(): OptimizerState {
    return { name: this.name, t: this.t, slots: {} };
  }

  load(state: OptimizerState): void {
    this.t = loadSlots(this, state, {});
  }
}
