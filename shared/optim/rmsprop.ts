import { checkSetting, checkSize } from './settings';
import { checkStep, copySlots, loadSlots } from './slots';
import type { Optimizer, OptimizerState } from './types';

export interface RmspropSettings {
  /** Decay of the squared-gradient average (tf.train.rmsprop's `decay`), default 0.9. */
  rho?: number;
  /** Default 0, as tfjs. */
  momentum?: number;
  /** Default 1e-7, tfjs's float32 backend epsilon. */
  epsilon?: number;
  /** Divide by an estimate of the gradient's variance instead of its raw second moment. */
  centered?: boolean;
}

/**
 * RMSprop as tf.train.rmsprop(lr, decay = 0.9, momentum = 0, epsilon = 1e-7, centered = false):
 *
 *   ms  = rho * ms + (1 - rho) * g^2
 *   mg  = rho * mg + (1 - rho) * g                 (centered only)
 *   den = sqrt(ms + eps)                           (plain)
 *   den = sqrt(ms - mg^2 + eps)                    (centered)
 *   mom = momentum * mom + lr * g / den
 *   w  -= mom
 *
 * Note lr sits inside `mom`, as in tfjs and TensorFlow.
 *
 * Centered differs from tfjs on purpose: tfjs 4.22 computes
 * sqrt(ms - (mg^2 + eps)), subtracting epsilon, which gives NaN whenever the
 * variance estimate is below epsilon (e.g. any |g| < ~1e-3 on the first
 * step). We add it, as TensorFlow and Keras do. The variance is clamped at 0
 * because float32 rounding of ms and mg can make ms - mg^2 slightly negative
 * once the gradient has been steady for long; it is never negative in exact
 * arithmetic (Jensen), so the clamp changes nothing else.
 */
export class RmspropOptimizer implements Optimizer {
  readonly name = 'rmsprop' as const;
  readonly size: number;
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  private readonly ms: Float32Array;
  private readonly mom: Float32Array;
  /** Only allocated when centered, so a plain checkpoint carries two slots as tfjs does. */
  private readonly mg: Float32Array | null;
  private t = 0;

  constructor(size: number, settings: RmspropSettings = {}) {
    this.size = checkSize('rmsprop', size);
    this.rho = checkSetting('rmsprop', 'rho', settings.rho ?? 0.9, '[0, 1)');
    this.momentum = checkSetting('rmsprop', 'momentum', settings.momentum ?? 0, '[0, 1)');
    this.epsilon = checkSetting('rmsprop', 'epsilon', settings.epsilon ?? 1e-7, '> 0');
    this.centered = settings.centered ?? false;
    this.ms = new Float32Array(this.size);
    this.mom = new Float32Array(this.size);
    this.mg = this.centered ? new Float32Array(this.size) : null;
  }

  step(params: Float32Array, grad: Float32Array, lr: number): void {
    checkStep(this, params, grad);
    const { rho, momentum, epsilon: eps, ms, mom, mg } = this;
    for (let i = 0; i < this.size; i++) {
      const g = grad[i];
      const s = rho * ms[i] + (1 - rho) * g * g;
      ms[i] = s;
      let den: number;
      if (mg === null) {
        den = Math.sqrt(s + eps);
      } else {
        const a = rho * mg[i] + (1 - rho) * g;
        mg[i] = a;
        den = Math.sqrt(Math.max(s - a * a, 0) + eps);
      }
      const v = momentum * mom[i] + (lr * g) / den;
      mom[i] = v;
      params[i] -= v;
    }
    this.t++;
  }

  /** Returns copies of the slots. */
  state(): OptimizerState {
    return { name: this.name, t: this.t, slots: copySlots(this.liveSlots()) };
  }

  load(state: OptimizerState): void {
    this.t = loadSlots(this, state, this.liveSlots());
  }

  private liveSlots(): Record<string, Float32Array> {
    return this.mg === null ? { ms: this.ms, mom: this.mom } : { ms: this.ms, mom: this.mom, mg: this.mg };
  }
}
