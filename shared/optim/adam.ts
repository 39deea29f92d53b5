import { checkSetting, checkSize } from './settings';
import { checkStep, copySlots, loadSlots } from './slots';
import type { Optimizer, OptimizerState } from './types';

export interface AdamSettings {
  /** First-moment decay, default 0.9 as tfjs. */
  beta1?: number;
  /** Second-moment decay, default 0.999 as tfjs. */
  beta2?: number;
  /** Default 1e-7, tfjs's float32 backend epsilon (PyTorch uses 1e-8). */
  epsilon?: number;
}

/** Adam's defaults, shared with AdamW. */
export function adamSettings(owner: string, s: AdamSettings): Required<AdamSettings> {
  return {
    beta1: checkSetting(owner, 'beta1', s.beta1 ?? 0.9, '[0, 1)'),
    beta2: checkSetting(owner, 'beta2', s.beta2 ?? 0.999, '[0, 1)'),
    epsilon: checkSetting(owner, 'epsilon', s.epsilon ?? 1e-7, '> 0'),
  };
}

/**
 * Adam (Kingma & Ba) as tf.train.adam(lr, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7):
 *
 *   t    += 1
 *   m     = beta1 * m + (1 - beta1) * g
 *   v     = beta2 * v + (1 - beta2) * g^2
 *   m_hat = m / (1 - beta1^t)
 *   v_hat = v / (1 - beta2^t)
 *   w    -= lr * m_hat / (sqrt(v_hat) + eps)
 *
 * Epsilon is added after the square root of the bias-corrected v, as tfjs does.
 */
export class AdamOptimizer implements Optimizer {
  readonly name = 'adam' as const;
  readonly size: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;

  constructor(size: number, settings: AdamSettings = {}) {
    this.size = checkSize('adam', size);
    ({ beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon } = adamSettings('adam', settings));
    this.m = new Float32Array(this.size);
    this.v = new Float32Array(this.size);
  }

  step(params: Float32Array, grad: Float32Array, lr: number): void {
    checkStep(this, params, grad);
    const { beta1, beta2, epsilon: eps, m, v } = this;
    const t = ++this.t;
    const mCorrection = 1 / (1 - beta1 ** t);
    const vCorrection = 1 / (1 - beta2 ** t);
    for (let i = 0; i < this.size; i++) {
      const g = grad[i];
      const mi = beta1 * m[i] + (1 - beta1) * g;
      const vi = beta2 * v[i] + (1 - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      const mHat = mi * mCorrection;
      const vHat = vi * vCorrection;
      params[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
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
