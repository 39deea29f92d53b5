import '../../coordinator/tfjsNode';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initializer } from '../../coordinator/model/presets';

/** Each initialiser by its statistics on a 400 x 300 kernel (fan_in 400, fan_out 300). */
const FAN_IN = 400;
const FAN_OUT = 300;

function stats(name: Parameters<typeof initializer>[0]): { mean: number; variance: number; min: number; max: number } {
  const t = initializer(name, 42).apply([FAN_IN, FAN_OUT]);
  const v = t.dataSync();
  t.dispose();
  let mean = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    mean += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  mean /= v.length;
  let variance = 0;
  for (const x of v) variance += (x - mean) ** 2;
  return { mean, variance: variance / v.length, min, max };
}

const cases: [Parameters<typeof initializer>[0], number, number | null][] = [
  // name, expected variance, uniform limit (null for normal)
  ['glorot_uniform', 2 / (FAN_IN + FAN_OUT), Math.sqrt(6 / (FAN_IN + FAN_OUT))],
  ['glorot_normal', 2 / (FAN_IN + FAN_OUT), null],
  ['he_uniform', 2 / FAN_IN, Math.sqrt(6 / FAN_IN)],
  ['he_normal', 2 / FAN_IN, null],
  ['lecun_uniform', 1 / FAN_IN, Math.sqrt(3 / FAN_IN)],
  ['lecun_normal', 1 / FAN_IN, null],
  ['uniform', 1 / (3 * FAN_IN), 1 / Math.sqrt(FAN_IN)],
];

describe('initialisers match their definitions', () => {
  for (const [name, variance, limit] of cases) {
    it(`${name}: mean 0, variance ${variance.toExponential(2)}${limit ? `, within ±${limit.toFixed(4)}` : ''}`, () => {
      const s = stats(name);
      expect(Math.abs(s.mean)).toBeLessThan(0.05 * Math.sqrt(variance));
      // Truncated normals (tfjs, like Keras) are rescaled so the variance holds.
      expect(s.variance / variance).toBeGreaterThan(0.93);
      expect(s.variance / variance).toBeLessThan(1.07);
      if (limit) {
        expect(s.max).toBeLessThanOrEqual(limit);
        expect(s.min).toBeGreaterThanOrEqual(-limit);
        expect(s.max).toBeGreaterThan(0.99 * limit);
      }
    });
  }

  it('constant: every weight equal, so no symmetry is ever broken', () => {
    const s = stats('constant');
    expect(s.variance).toBe(0);
    expect(s.min).toBe(s.max);
  });

  it('the same seed gives the same weights (runs are reproducible)', () => {
    const a = initializer('he_normal', 5).apply([10, 10]);
    const b = initializer('he_normal', 5).apply([10, 10]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([a, b]);
  });
});
