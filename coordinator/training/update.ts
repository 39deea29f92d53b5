import { addPenaltyGradients, clipByGlobalNorm, learningRateAt } from '../../shared/optim';
import type { OptimizerConfig, ScheduleConfig } from '../../shared/optim/types';
import type { TrainingCoordinator } from './coordinator';
import type { RunSetup } from './types';

/**
 * The central update, the same in sync and async mode: on the averaged
 * gradient in `store.meanGrad`, L1/L2 penalties, global-norm clipping, then
 * one optimizer step at the schedule's learning rate for the current step.
 * Returns that learning rate (the history records it).
 */
export function applyUpdate(run: TrainingCoordinator): number {
  const c = run.setup.config;
  const store = run.store;
  if (c.l1 > 0 || c.l2 > 0) addPenaltyGradients(store.meanGrad, store.params, run.setup.model.penaltyMask, c.l1, c.l2);
  if (c.clipNorm > 0) clipByGlobalNorm(store.meanGrad, c.clipNorm);
  const lr = learningRateAt(run.lr, scheduleConfig(c), { step: run.step, epoch: run.step / run.sampler.stepsPerEpoch, totalSteps: run.totalSteps });
  store.apply(run.optimizer, lr);
  return lr;
}

export function optimizerConfig(c: RunSetup['config']): OptimizerConfig {
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

export function scheduleConfig(c: RunSetup['config']): ScheduleConfig {
  return { name: c.schedule, gamma: c.gamma, everyEpochs: c.decayEvery, warmupSteps: c.warmupSteps };
}
