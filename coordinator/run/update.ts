import { addPenaltyGradients, clipByGlobalNorm, learningRateAt } from '../../shared/optim';
import type { OptimizerConfig, ScheduleConfig } from '../../shared/optim/types';
import type { Optimizer } from '../../shared/optim/types';
import type { ParamStore } from './paramStore';
import type { RunSetup } from './types';

/** Where in the run an update happens (the schedule's learning rate depends on it). */
export interface UpdateAt {
  /** The base learning rate (the dashboard may have changed it). */
  lr: number;
  step: number;
  stepsPerEpoch: number;
  totalSteps: number;
}

/**
 * The central update, the same in every mode, a function of the weights,
 * the averaged gradient and the optimizer state only: on `store.meanGrad`,
 * L1/L2 penalties, global-norm clipping, then one optimizer step at the
 * schedule's learning rate for the step. Returns that learning rate (the
 * history records it).
 */
export function applyUpdate(store: ParamStore, optimizer: Optimizer, setup: Pick<RunSetup, 'config' | 'model'>, at: UpdateAt): number {
  const c = setup.config;
  if (c.mode === 'local') {
    // The outer step of local mode (localPolicy.ts): penalties, clipping and the schedule belong to the inner optimizer.
    store.apply(optimizer, at.lr);
    return at.lr;
  }
  if (c.l1 > 0 || c.l2 > 0) addPenaltyGradients(store.meanGrad, store.params, setup.model.penaltyMask, c.l1, c.l2);
  if (c.clipNorm > 0) clipByGlobalNorm(store.meanGrad, c.clipNorm);
  const lr = learningRateAt(at.lr, scheduleConfig(c), { step: at.step, epoch: at.step / at.stepsPerEpoch, totalSteps: at.totalSteps });
  store.apply(optimizer, lr);
  return lr;
}

export function optimizerConfig(c: RunSetup['config']): OptimizerConfig {
  // Local mode: the coordinator's optimizer is the outer one; --optimizer runs in the peers.
  if (c.mode === 'local') return { name: c.outerOptimizer, ...(c.outerOptimizer === 'momentum' || c.outerOptimizer === 'nesterov' ? { momentum: c.outerMomentum } : {}), beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon };
  const usesMomentum = c.optimizer === 'momentum' || c.optimizer === 'nesterov';
  return {
    name: c.optimizer,
    ...(usesMomentum ? { momentum: c.momentum } : {}),
    beta1: c.beta1,
    beta2: c.beta2,
    epsilon: c.epsilon,
    ...(c.optimizer === 'adamw' ? { weightDecay: c.weightDecay } : {}),
  };
}

/**
 * The run's configuration with the coordinator's optimizer named `name` (the
 * dashboard's optimizer control, and a checkpoint saved after it): in local
 * mode that is the outer optimizer, otherwise --optimizer.
 */
export function withOptimizer(c: RunSetup['config'], name: string): RunSetup['config'] {
  return c.mode === 'local' ? { ...c, outerOptimizer: name as RunSetup['config']['outerOptimizer'] } : { ...c, optimizer: name as RunSetup['config']['optimizer'] };
}

export function scheduleConfig(c: RunSetup['config']): ScheduleConfig {
  return { name: c.schedule, gamma: c.gamma, everyEpochs: c.decayEvery, warmupSteps: c.warmupSteps };
}
