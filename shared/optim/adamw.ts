import { adamSettings, type AdamSettings } from './adam';
import { checkSetting, checkSize } from './settings';
import { checkStep, copySlots, loadSlots } from './slots';
import type { Optimizer, OptimizerState } from './types';

export interface AdamWSettings extends AdamSettings {
  /** Decoupled weight decay, default 0.01 as PyTorch's AdamW (tfjs has no AdamW). */
  weightDecay?: number;
}

/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"), in
 * PyTorch's form: Adam, plus a decay of the weights themselves that never
 * passes through m and v, scaled by lr:
 *
 *   t    += 1
 *   m     = beta1 * m + (1 - beta1) * g
 *   v     = beta2 * v + (1 - beta2) * g^2
 *   m_hat = m / (1 - beta1^t)
 *   v_hat = v / (1 - beta2^t)
 *   w    -= lr * wd * w                          (on the weight before this step)
 *   w    -= lr * m_hat / (sqrt(v_hat) + eps)
 *
 * With wd = 0 this is Adam bit for bit. Unlike an L2 penalty in the gradient,
 * the decay is not divided by sqrt(v_hat), so every weight decays at the same rate.
 */
export class AdamWOptimizer implements Optimizer {
  readonly name = 'adamw' as const;
  readonly size: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;

  constructor(size: number, settings: AdamWSettings = {}) {
    this.size = checkSize('adamw', size);
    ({ beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon } = adamSettings('adamw', settings));
    this.weightDecay = checkSetting('adamw', 'weightDecay', settings.weightDecay ?? 0.01, '>= 0');
    this.m = new Float32Array(this.size);
    this.v = new Float32Array(this.size);
  }

  step(params: Float32Array, grad: Float32Array, lr: number): void {
    checkStep(this, params, grad);
    const { beta1, beta2, epsilon: eps, weightDecay: wd, m, v } = this;
    const t = ++this.t;
    const mCorrection = 1 / (1 - beta1 ** t);
    const vCorrection = 1 / (1 - beta2 ** t);
    for (let i = 0; i < this.size; i++) {
      const g = grad[i];
      const w = params[i];
      const mi = beta1 * m[i] + (1 - beta1) * g;
      const vi = beta2 * v[i] + (1 - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      const mHat = mi * mCorrection;
      const vHat = vi * vCorrection;
      params[i] = w - lr * wd * w - (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  }

  /** Returns copies of the slots. */
  state(): OptimizerState {
    return { name: this.name, t: this.t, slots: copySlots({ m: this.m, v: this.v }) };
  }

  load(state: OptimizerState): void {
    this.t = loadSlots(this, state, { m: this.m, v: this.v });
  }
}
