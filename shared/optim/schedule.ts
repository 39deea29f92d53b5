import { fail } from '../errors';
import { checkSetting } from './settings';
import { SCHEDULE_NAMES, type ScheduleConfig, type SchedulePosition } from './types';

/**
 * The learning rate at a point of the run, from the base rate lr0:
 *
 *   constant      lr0
 *   step          lr0 * gamma^floor(epoch / everyEpochs)
 *   exponential   lr0 * gamma^epoch                      (epoch is fractional: smooth)
 *   inverse-time  lr0 / (1 + gamma * epoch)
 *   cosine        minLr + 0.5 * (lr0 - minLr) * (1 + cos(pi * p)),
 *                 p = (step - warmupSteps) / (totalSteps - warmupSteps), clamped to [0, 1]
 *
 * Linear warm-up multiplies any of these by (step + 1) / warmupSteps while
 * step < warmupSteps: the first step uses lr/warmupSteps (never 0, which
 * would waste it) and the last warm-up step uses the full rate. Cosine starts
 * its decay when warm-up ends, as nanoGPT does; the epoch-based schedules are
 * not shifted, so the rate stays continuous where warm-up ends.
 */
export function learningRateAt(lr0: number, schedule: ScheduleConfig, pos: SchedulePosition): number {
  validateSchedule(schedule, lr0);
  const warmup = schedule.warmupSteps ?? 0;
  const ramp = pos.step < warmup ? (pos.step + 1) / warmup : 1;
  return ramp * decayed(lr0, schedule, pos, warmup);
}

function decayed(lr0: number, s: ScheduleConfig, pos: SchedulePosition, warmup: number): number {
  const gamma = s.gamma ?? 1;
  const epoch = Math.max(0, pos.epoch);
  switch (s.name) {
    case 'constant':
      return lr0;
    case 'step':
      return lr0 * gamma ** Math.floor(epoch / (s.everyEpochs ?? 1));
    case 'exponential':
      return lr0 * gamma ** epoch;
    case 'inverse-time':
      return lr0 / (1 + gamma * epoch);
    case 'cosine': {
      const minLr = s.minLr ?? 0;
      // A run no longer than its warm-up has nothing left to decay over.
      const span = Math.max(1, pos.totalSteps - warmup);
      const p = Math.min(1, Math.max(0, (pos.step - warmup) / span));
      return minLr + 0.5 * (lr0 - minLr) * (1 + Math.cos(Math.PI * p));
    }
  }
}

/** Fields each schedule needs, and their ranges. */
const needsGamma: Partial<Record<ScheduleConfig['name'], '(0, 1]' | '>= 0'>> = {
  step: '(0, 1]',
  exponential: '(0, 1]',
  'inverse-time': '>= 0',
};

/**
 * Throws CONFIG_INVALID, naming the field and its range, for a schedule that
 * cannot run. Fields a schedule does not use are ignored. With lr0, also
 * checks that cosine's minLr does not exceed it.
 */
export function validateSchedule(schedule: ScheduleConfig, lr0?: number): void {
  const name: string = schedule.name;
  if (!(SCHEDULE_NAMES as readonly string[]).includes(name)) {
    throw fail('CONFIG_INVALID', `schedule: name '${name}' is not known; expected one of ${SCHEDULE_NAMES.join(', ')}`);
  }
  const owner = `schedule '${name}'`;
  const gammaRange = needsGamma[schedule.name];
  if (gammaRange !== undefined) checkSetting(owner, 'gamma', schedule.gamma, gammaRange);
  if (schedule.name === 'step' && schedule.everyEpochs !== undefined) {
    checkSetting(owner, 'everyEpochs', schedule.everyEpochs, '> 0');
  }
  if (schedule.name === 'cosine' && schedule.minLr !== undefined) {
    checkSetting(owner, 'minLr', schedule.minLr, '>= 0');
    if (lr0 !== undefined && schedule.minLr > lr0) {
      throw fail('CONFIG_INVALID', `${owner}: minLr (${schedule.minLr}) must not exceed the learning rate (${lr0})`);
    }
  }
  const warmup = schedule.warmupSteps;
  if (warmup !== undefined && !(Number.isSafeInteger(warmup) && warmup >= 0)) {
    throw fail('CONFIG_INVALID', `${owner}: warmupSteps must be a whole number >= 0, got ${String(warmup)}`);
  }
  if (lr0 !== undefined) checkSetting(owner, 'lr', lr0, '>= 0');
}
