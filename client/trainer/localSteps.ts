import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../shared/data/dataset';
import type { InnerOptimizer } from '../../shared/protocol/localPlan';
import { makeBatch } from './batch';
import { lossSum, type LossName } from './loss';
import type { BoundModel } from './model';

/**
 * Local steps (--mode local, DiLoCo): H inner optimizer steps on the peer,
 * step h on its share of global batch h, then the weight change. The inner
 * optimizer is a tfjs optimizer kept across rounds (its moments stay on the
 * peer); everything stays on the device until the one readback of the change.
 * The model's weights are put back afterwards, so the peer still holds the
 * coordinator's version and a later task of the same round needs no resend.
 */
export interface LocalResult {
  /** (start weights - end weights) x count, in the coordinator's trainable layout. */
  delta: Float32Array;
  lossSum: number;
  count: number;
  /** Non-trainable weights after the last step (batch-norm moving stats), times count. */
  stateSum: Float32Array;
}

/** The peer's inner optimizer: made on the first local task, kept while its settings stay the same. */
export class InnerOptimizerHolder {
  private opt: tf.Optimizer | null = null;
  private key = '';
  /** Set when the last `get` had to start fresh moments (a new peer, a reconnect, changed settings). */
  fresh = false;

  get(s: InnerOptimizer): tf.Optimizer {
    const key = [s.name, s.momentum, s.beta1, s.beta2, s.epsilon].join('/');
    this.fresh = this.opt === null || key !== this.key;
    if (this.fresh) {
      this.opt?.dispose();
      this.opt = make(s);
      this.key = key;
    }
    setLearningRate(this.opt!, s.lr);
    return this.opt!;
  }

  dispose(): void {
    this.opt?.dispose();
    this.opt = null;
  }
}

function make(s: InnerOptimizer): tf.Optimizer {
  switch (s.name) {
    case 'sgd':
      return tf.train.sgd(s.lr);
    case 'momentum':
      return tf.train.momentum(s.lr, s.momentum, false);
    case 'nesterov':
      return tf.train.momentum(s.lr, s.momentum, true);
    case 'rmsprop':
      return tf.train.rmsprop(s.lr, 0.9, 0, s.epsilon);
    case 'adagrad':
      return tf.train.adagrad(s.lr);
    case 'adam':
    case 'adamw':
      return tf.train.adam(s.lr, s.beta1, s.beta2, s.epsilon);
  }
}

function setLearningRate(opt: tf.Optimizer, lr: number): void {
  // SGD and momentum keep the rate in a tensor (setLearningRate); the others read the field each step.
  const o = opt as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (o.learningRate === lr) return;
  if (typeof o.setLearningRate === 'function' && (opt.getClassName() === 'SGD' || opt.getClassName() === 'Momentum')) o.setLearningRate(lr);
  else o.learningRate = lr;
}

export async function localSteps(
  bound: BoundModel,
  ds: Dataset,
  loss: LossName,
  steps: readonly Uint32Array[],
  inner: InnerOptimizer,
  holder: InnerOptimizerHolder,
  outputUnits: number,
  rowsFor: (n: number) => number,
  augmentSeed: number | null,
): Promise<LocalResult> {
  const opt = holder.get(inner);
  const start = bound.trainable.map((v) => tf.clone(v));
  const startState = bound.state.map((v) => tf.clone(v));
  // Each step's mean loss stays on the device; they are weighted and summed once, after the last step (no
  // per-step readback, and two ops per round instead of two per step).
  const losses: tf.Scalar[] = [];
  const counts: number[] = [];
  let count = 0;
  try {
    for (let h = 0; h < steps.length; h++) {
      const idx = steps[h]!;
      if (idx.length === 0) continue;
      const n = idx.length;
      count += n;
      const { x, y, mask } = makeBatch(ds, idx, outputUnits, rowsFor(n), augmentSeed === null ? null : (augmentSeed + h) >>> 0);
      try {
        const { value, grads } = tf.variableGrads(() => tf.div(lossSum(loss, y, bound.model.apply(x, { training: true }) as tf.Tensor, mask), n) as tf.Scalar, bound.trainable);
        if (inner.name === 'adamw' && inner.weightDecay > 0) {
          const k = 1 - inner.lr * inner.weightDecay;
          for (const v of bound.trainable) tf.tidy(() => v.assign(tf.mul(v, k)));
        }
        opt.applyGradients(grads);
        for (const g of Object.values(grads)) g.dispose();
        losses.push(value);
        counts.push(n);
      } finally {
        x.dispose();
        y.dispose();
        mask?.dispose();
      }
    }
    const flat = tf.tidy(() => tf.mul(tf.concat(bound.trainable.map((v, i) => tf.sub(start[i]!, v).reshape([-1]))), count));
    const total = losses.length ? tf.tidy(() => tf.sum(tf.mul(tf.stack(losses), tf.tensor1d(counts)))) : tf.scalar(0);
    const stateFlat = bound.state.length ? tf.tidy(() => tf.mul(tf.concat(bound.state.map((v) => v.reshape([-1]))), count)) : null;
    try {
      const [delta, lossData, state] = await Promise.all([flat.data(), total.data(), stateFlat ? stateFlat.data() : Promise.resolve(new Float32Array(0))]);
      return { delta: delta as Float32Array, lossSum: lossData[0]!, count, stateSum: state as Float32Array };
    } finally {
      flat.dispose();
      total.dispose();
      stateFlat?.dispose();
    }
  } finally {
    bound.trainable.forEach((v, i) => v.assign(start[i]!));
    bound.state.forEach((v, i) => v.assign(startState[i]!));
    start.forEach((t) => t.dispose());
    startState.forEach((t) => t.dispose());
    losses.forEach((t) => t.dispose());
  }
}
