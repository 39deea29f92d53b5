/**
 * The contract between the coordinator and the optimizer kernels. Kernels
 * update a flat Float32Array of parameters in place from the averaged
 * gradient, in one fused loop, with no allocation per step.
 */
export const OPTIMIZER_NAMES = ['sgd', 'momentum', 'nesterov', 'rmsprop', 'adagrad', 'adam', 'adamw'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export interface OptimizerConfig {
  name: OptimizerName;
  /** momentum / nesterov: the velocity decay (tf.train.momentum's `momentum`). rmsprop: its momentum term. */
  momentum?: number;
  /** adam / adamw: first-moment decay. */
  beta1?: number;
  /** adam / adamw: second-moment decay. */
  beta2?: number;
  /** rmsprop / adagrad / adam / adamw: added to the denominator. */
  epsilon?: number;
  /** rmsprop: decay of the squared-gradient average (tf.train.rmsprop's `decay`). */
  rho?: number;
  /** rmsprop: centred variant. */
  centered?: boolean;
  /** adagrad: the accumulator's starting value. */
  initialAccumulatorValue?: number;
  /** adamw: decoupled weight decay (w -= lr * wd * w). */
  weightDecay?: number;
}

/** Everything a checkpoint needs to continue the optimizer exactly. */
export interface OptimizerState {
  name: OptimizerName;
  /** Number of updates applied so far (Adam's bias correction uses it). */
  t: number;
  /** Named per-parameter slots (m, v, accum...), each the length of the params. */
  slots: Record<string, Float32Array>;
}

export interface Optimizer {
  readonly name: OptimizerName;
  readonly size: number;
  /** One update in place: params <- params - f(grad, state, lr). */
  step(params: Float32Array, grad: Float32Array, lr: number): void;
  state(): OptimizerState;
  load(state: OptimizerState): void;
}

export const SCHEDULE_NAMES = ['constant', 'step', 'exponential', 'inverse-time', 'cosine'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

export interface ScheduleConfig {
  name: ScheduleName;
  /** step decay: multiply by `gamma` every `everyEpochs` epochs. exponential: lr0 * gamma^epoch. inverse-time: lr0 / (1 + gamma*epoch). */
  gamma?: number;
  everyEpochs?: number;
  /** cosine: decays from lr0 to `minLr` over the whole run. */
  minLr?: number;
  /** linear warm-up over this many steps, before any of the above. */
  warmupSteps?: number;
}

/** Where training is, for the schedule. `epoch` is fractional (step / stepsPerEpoch). */
export interface SchedulePosition {
  step: number;
  epoch: number;
  totalSteps: number;
}
