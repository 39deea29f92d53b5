import { describe, expect, it } from 'vitest';
import { TabtrainError } from '../../shared/errors';
import { AdamOptimizer } from '../../shared/optim/adam';
import { createOptimizer } from '../../shared/optim/create';
import { RmspropOptimizer } from '../../shared/optim/rmsprop';
import { OPTIMIZER_NAMES, type OptimizerConfig } from '../../shared/optim/types';

function configError(f: () => unknown): TabtrainError {
  try {
    f();
  } catch (e) {
    if (e instanceof TabtrainError) return e;
    throw e;
  }
  throw new Error('expected a TabtrainError');
}

describe('createOptimizer', () => {
  it.each(OPTIMIZER_NAMES)('builds %s with its name and size', (name) => {
    const opt = createOptimizer({ name, momentum: 0.9 }, 10);
    expect(opt.name).toBe(name);
    expect(opt.size).toBe(10);
  });

  it("takes tfjs's defaults for settings left out", () => {
    const adam = createOptimizer({ name: 'adam' }, 1) as AdamOptimizer;
    expect([adam.beta1, adam.beta2, adam.epsilon]).toEqual([0.9, 0.999, 1e-7]);
    const rms = createOptimizer({ name: 'rmsprop' }, 1) as RmspropOptimizer;
    expect([rms.rho, rms.momentum, rms.epsilon, rms.centered]).toEqual([0.9, 0, 1e-7, false]);
  });

  it('ignores settings the named optimizer does not use', () => {
    expect(createOptimizer({ name: 'sgd', beta1: 0.9, epsilon: 1e-7, momentum: 0.9 }, 2).name).toBe('sgd');
  });

  it.each([
    [{ name: 'adam', beta1: 1 }, 'adam: beta1 must be a number in [0, 1), got 1'],
    [{ name: 'adamw', beta2: -0.1 }, 'adamw: beta2 must be a number in [0, 1), got -0.1'],
    [{ name: 'adam', epsilon: 0 }, 'adam: epsilon must be a number > 0, got 0'],
    [{ name: 'adam', epsilon: Number.NaN }, 'adam: epsilon must be a number > 0, got NaN'],
    [{ name: 'momentum' }, 'momentum: momentum is required (a number in [0, 1), typically 0.9)'],
    [{ name: 'nesterov', momentum: 1.5 }, 'nesterov: momentum must be a number in [0, 1), got 1.5'],
    [{ name: 'rmsprop', rho: 1 }, 'rmsprop: rho must be a number in [0, 1), got 1'],
    [{ name: 'rmsprop', momentum: -0.5 }, 'rmsprop: momentum must be a number in [0, 1), got -0.5'],
    [{ name: 'rmsprop', centered: 'yes' }, 'rmsprop: centered must be true or false, got yes'],
    [{ name: 'adagrad', initialAccumulatorValue: -1 }, 'adagrad: initialAccumulatorValue must be a number >= 0, got -1'],
    [{ name: 'adamw', weightDecay: -0.01 }, 'adamw: weightDecay must be a number >= 0, got -0.01'],
    [{ name: 'adamax' }, "optimizer: name 'adamax' is not known; expected one of sgd, momentum, nesterov, rmsprop, adagrad, adam, adamw"],
  ])('refuses %j', (config, message) => {
    const e = configError(() => createOptimizer(config as unknown as OptimizerConfig, 4));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain(message);
  });

  it.each([-1, 1.5, Number.NaN])('refuses size %s', (size) => {
    const e = configError(() => createOptimizer({ name: 'sgd' }, size));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('size (the number of parameters) must be a whole number >= 0');
  });

  it('a step with arrays of the wrong length is a bug upstream (INTERNAL), and changes nothing', () => {
    const opt = createOptimizer({ name: 'adam' }, 3);
    const w = new Float32Array([1, 2, 3]);
    const e = configError(() => opt.step(w, new Float32Array(2), 0.1));
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toBe('adam: step got params of length 3 and grad of length 2, optimizer was built for 3');
    expect(Array.from(w)).toEqual([1, 2, 3]);
    expect(opt.state().t).toBe(0);
  });
});
