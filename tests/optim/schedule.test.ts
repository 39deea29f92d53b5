import { describe, expect, it } from 'vitest';
import { TabtrainError } from '../../shared/errors';
import { learningRateAt, validateSchedule } from '../../shared/optim/schedule';
import type { ScheduleConfig } from '../../shared/optim/types';

const at = (step: number, epoch = 0, totalSteps = 100) => ({ step, epoch, totalSteps });

describe('learningRateAt', () => {
  it('constant: lr0 everywhere', () => {
    expect(learningRateAt(0.1, { name: 'constant' }, at(0))).toBe(0.1);
    expect(learningRateAt(0.1, { name: 'constant' }, at(5000, 40))).toBe(0.1);
  });

  it('step: lr0 * gamma^floor(epoch / everyEpochs)', () => {
    const s: ScheduleConfig = { name: 'step', gamma: 0.5, everyEpochs: 2 };
    expect(learningRateAt(0.1, s, at(0, 0))).toBeCloseTo(0.1, 12);
    expect(learningRateAt(0.1, s, at(0, 1.99))).toBeCloseTo(0.1, 12); // floor(0.995) = 0
    expect(learningRateAt(0.1, s, at(0, 2))).toBeCloseTo(0.05, 12); // floor(1) = 1
    expect(learningRateAt(0.1, s, at(0, 5))).toBeCloseTo(0.025, 12); // floor(2.5) = 2
  });

  it('exponential: lr0 * gamma^epoch, smooth within an epoch', () => {
    const s: ScheduleConfig = { name: 'exponential', gamma: 0.5 };
    expect(learningRateAt(0.1, s, at(0, 3))).toBeCloseTo(0.0125, 12); // 0.1 * 0.125
    expect(learningRateAt(0.1, s, at(0, 0.5))).toBeCloseTo(0.070710678, 8); // 0.1 * sqrt(0.5)
  });

  it('inverse-time: lr0 / (1 + gamma * epoch)', () => {
    const s: ScheduleConfig = { name: 'inverse-time', gamma: 1 };
    expect(learningRateAt(0.1, s, at(0, 1))).toBeCloseTo(0.05, 12);
    expect(learningRateAt(0.1, s, at(0, 3))).toBeCloseTo(0.025, 12);
  });

  it('cosine: from lr0 down to minLr over totalSteps, then holds', () => {
    const s: ScheduleConfig = { name: 'cosine', minLr: 0.01 };
    expect(learningRateAt(0.1, s, at(0))).toBeCloseTo(0.1, 12);
    // 0.01 + 0.5 * 0.09 * (1 + cos(pi/4)) = 0.01 + 0.045 * 1.70710678 = 0.08681981
    expect(learningRateAt(0.1, s, at(25))).toBeCloseTo(0.08681981, 8);
    expect(learningRateAt(0.1, s, at(50))).toBeCloseTo(0.055, 12); // 0.01 + 0.045
    expect(learningRateAt(0.1, s, at(100))).toBeCloseTo(0.01, 12);
    expect(learningRateAt(0.1, s, at(150))).toBeCloseTo(0.01, 12);
  });

  it('warm-up: lr * (step + 1) / warmupSteps, full rate from the last warm-up step', () => {
    const s: ScheduleConfig = { name: 'constant', warmupSteps: 4 };
    const want = [0.025, 0.05, 0.075, 0.1, 0.1, 0.1];
    [0, 1, 2, 3, 4, 10].forEach((k, i) => expect(learningRateAt(0.1, s, at(k))).toBeCloseTo(want[i]!, 12));
  });

  it('warm-up then cosine: the decay starts when warm-up ends (nanoGPT)', () => {
    const s: ScheduleConfig = { name: 'cosine', minLr: 0.01, warmupSteps: 10 };
    expect(learningRateAt(0.1, s, at(0, 0, 110))).toBeCloseTo(0.01, 12); // 0.1 * 1/10
    expect(learningRateAt(0.1, s, at(9, 0, 110))).toBeCloseTo(0.1, 12);
    expect(learningRateAt(0.1, s, at(60, 0, 110))).toBeCloseTo(0.055, 12); // halfway through 100 decay steps
    expect(learningRateAt(0.1, s, at(110, 0, 110))).toBeCloseTo(0.01, 12);
  });

  it('warm-up multiplies an epoch schedule without shifting it', () => {
    // step decay has already halved by epoch 2; warm-up step 1 of 4 takes half of that
    const s: ScheduleConfig = { name: 'step', gamma: 0.5, everyEpochs: 2, warmupSteps: 4 };
    expect(learningRateAt(0.1, s, at(1, 2))).toBeCloseTo(0.025, 12); // 0.05 * 2/4
  });
});

describe('validateSchedule', () => {
  it.each([
    [{ name: 'step' }, 'gamma', '(0, 1]'],
    [{ name: 'exponential', gamma: 1.5 }, 'gamma', '(0, 1]'],
    [{ name: 'inverse-time', gamma: -1 }, 'gamma', '>= 0'],
    [{ name: 'step', gamma: 0.5, everyEpochs: 0 }, 'everyEpochs', '> 0'],
    [{ name: 'cosine', minLr: -0.1 }, 'minLr', '>= 0'],
    [{ name: 'constant', warmupSteps: 2.5 }, 'warmupSteps', 'whole number'],
    [{ name: 'linear' }, 'linear', 'constant, step, exponential, inverse-time, cosine'],
  ])('refuses %j naming %s', (schedule, field, range) => {
    try {
      validateSchedule(schedule as ScheduleConfig);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TabtrainError);
      expect((e as TabtrainError).code).toBe('CONFIG_INVALID');
      expect((e as TabtrainError).message).toContain(field);
      expect((e as TabtrainError).message).toContain(range);
    }
  });

  it('refuses a cosine floor above the learning rate, and learningRateAt checks too', () => {
    expect(() => validateSchedule({ name: 'cosine', minLr: 0.5 }, 0.1)).toThrow(/minLr \(0.5\) must not exceed the learning rate \(0.1\)/);
    expect(() => learningRateAt(0.1, { name: 'cosine', minLr: 0.5 }, at(0))).toThrow(TabtrainError);
  });

  it('ignores fields a schedule does not use (one config block serves all)', () => {
    expect(() => validateSchedule({ name: 'constant', gamma: 7, everyEpochs: 0 }, 0.1)).not.toThrow();
  });
});
