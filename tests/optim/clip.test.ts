import { describe, expect, it } from 'vitest';
import { clipByGlobalNorm, globalNorm } from '../../shared/optim/clip';

describe('clipByGlobalNorm', () => {
  it('scales [3, 4] to norm 1 and returns the norm before clipping', () => {
    const g = new Float32Array([3, 4]);
    // norm = sqrt(9 + 16) = 5; g *= 1 / max(5, 1) = [0.6, 0.8]
    expect(clipByGlobalNorm(g, 1)).toBe(5);
    expect(g[0]).toBeCloseTo(0.6, 7);
    expect(g[1]).toBeCloseTo(0.8, 7);
    expect(globalNorm(g)).toBeCloseTo(1, 6);
  });

  it('the norm is global: layers flattened together share one scale', () => {
    // a "kernel" [1, 2] and a "bias" [2]: norm = sqrt(1 + 4 + 4) = 3; scale = 1.5/3 = 0.5
    const g = new Float32Array([1, 2, 2]);
    expect(clipByGlobalNorm(g, 1.5)).toBe(3);
    expect(Array.from(g)).toEqual([0.5, 1, 1]);
  });

  it('leaves a gradient within the norm exactly as it was', () => {
    const g = new Float32Array([0.3, -0.4]);
    const before = g.slice();
    expect(clipByGlobalNorm(g, 1)).toBeCloseTo(0.5, 7);
    expect(g).toEqual(before);
  });

  it('returns a non-finite norm and leaves the gradient for the caller to refuse', () => {
    const g = new Float32Array([1, Infinity]);
    expect(clipByGlobalNorm(g, 1)).toBe(Infinity);
    expect(Array.from(g)).toEqual([1, Infinity]);
  });

  it('refuses a maxNorm that is not positive', () => {
    expect(() => clipByGlobalNorm(new Float32Array(2), 0)).toThrow(/maxNorm must be a number > 0, got 0/);
  });
});
