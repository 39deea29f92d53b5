import { checkSetting, checkSize } from './settings';
import { checkStep, copySlots, loadSlots } from './slots';
import type { Optimizer, OptimizerState } from './types';

export interface AdagradSettings {
  /** The accumulator's starting value, default 0.1 as tfjs. */
  initialAccumulatorValue?: number;
  /** Default 1e-7: tfjs adds its float32 backend epsilon (not configurable there). */
  epsilon?: number;
}

/**
 * Adagrad as tf.train.adagrad(lr, initialAccumulatorValue = 0.1):
 *
 *   accum += g^2
 *   w     -= lr * g / sqrt(accum + eps)
 */
export class AdagradOptimizer implements Optimizer {
  readonly name = 'adagrad' as const;
  readonly size: number;
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  private readonly accum: Float32Array;
  private t = 0;

  constructor(size: number, settings: AdagradSettings = {}) {
    this.size = checkSize('adagrad', size);
    this.initialAccumulatorValue = checkSetting('adagrad', 'initialAccumulatorValue', settings.initialAccumulatorValue ?? 0.1, '>= 0');
    this.epsilon = checkSetting('adagrad', 'epsilon', settings.epsilon ?? 1e-7, '> 0');
    this.accum = new Float32Array(this.size).fill(this.initialAccumulatorValue);
  }

  step(params: Float32Array, grad: Float32Array, lr: number): void {
    checkStep(this, params, grad);
    const { epsilon: eps, accum } = this;
    for (let i = 0; i < this.size; i++) {
      const g = grad[i];
      const a = accum[i] + g * g;
      accum[i] = a;
      params[i] -= (lr * g) / Math.sqrt(a + eps);
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
