import { describe, expect, it } from 'vitest';
import { TabtrainError } from '../../shared/errors';
import { createOptimizer } from '../../shared/optim/create';
import type { OptimizerConfig, OptimizerState } from '../../shared/optim/types';
import { randomArray, rng } from './oracle';

const CONFIGS: OptimizerConfig[] = [
  { name: 'sgd' },
  { name: 'momentum', momentum: 0.9 },
  { name: 'nesterov', momentum: 0.9 },
  { name: 'rmsprop', momentum: 0.5 },
  { name: 'rmsprop', centered: true, momentum: 0.5 },
  { name: 'adagrad' },
  { name: 'adam' },
  { name: 'adamw', weightDecay: 0.05 },
];

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe('state() / load()', () => {
  it.each(CONFIGS)('$name %j resumes bit for bit from a saved state', (config) => {
    const n = 777;
    const next = rng(11);
    const grads = Array.from({ length: 6 }, () => randomArray(n, next));
    const a = createOptimizer(config, n);
    const wa = randomArray(n, next);
    for (let s = 0; s < 3; s++) a.step(wa, grads[s]!, 0.01);

    const b = createOptimizer(config, n);
    b.load(a.state());
    const wb = wa.slice();
    for (let s = 3; s < 6; s++) {
      a.step(wa, grads[s]!, 0.01);
      b.step(wb, grads[s]!, 0.01);
    }
    expect(bits(wb)).toEqual(bits(wa));
    expect(b.state()).toEqual(a.state());
  });

  it('state() returns copies: later steps do not change a saved state', () => {
    const opt = createOptimizer({ name: 'adam' }, 3);
    const w = new Float32Array(3);
    opt.step(w, new Float32Array([1, 2, 3]), 0.1);
    const saved = opt.state();
    const m = saved.slots.m!.slice();
    opt.step(w, new Float32Array([1, 2, 3]), 0.1);
    expect(saved.t).toBe(1);
    expect(saved.slots.m).toEqual(m);
  });

  const good = (): OptimizerState => createOptimizer({ name: 'adam' }, 4).state();
  it.each([
    ['another optimizer', { ...good(), name: 'sgd' }, /saved by 'sgd'/],
    ['a slot of the wrong length', { ...good(), slots: { m: new Float32Array(4), v: new Float32Array(5) } }, /slot 'v' has 5 entries but the model has 4 parameters/],
    ['a missing slot', { ...good(), slots: { m: new Float32Array(4) } }, /slots are \[m\], expected \[m, v\]/],
    ['a slot that is not a Float32Array', { ...good(), slots: { m: new Float32Array(4), v: [0, 0, 0, 0] } }, /slot 'v' is not a Float32Array/],
    ['a bad step count', { ...good(), t: -1 }, /t \(steps taken\) must be a whole number >= 0, got -1/],
  ])('refuses %s with CONFIG_INVALID, leaving the optimizer as it was', (_, state, message) => {
    const opt = createOptimizer({ name: 'adam' }, 4);
    opt.step(new Float32Array(4), new Float32Array([1, 1, 1, 1]), 0.1);
    const before = opt.state();
    try {
      opt.load(state as OptimizerState);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TabtrainError);
      expect((e as TabtrainError).code).toBe('CONFIG_INVALID');
      expect((e as TabtrainError).message).toMatch(message);
    }
    expect(opt.state()).toEqual(before);
  });

  it('refuses a plain rmsprop state in a centered rmsprop', () => {
    const plain = createOptimizer({ name: 'rmsprop' }, 2).state();
    expect(() => createOptimizer({ name: 'rmsprop', centered: true }, 2).load(plain)).toThrow(/expected \[mg, mom, ms\].*centered/);
  });
});
