import { describe, expect, it } from 'vitest';
import { CLASSROOM } from '../../coordinator/simulate/assumptions';
import { boundLines, computeBound, computeBoundLimit, taskComputeMs } from '../../coordinator/simulate/bound';

/**
 * The compute-only bound the simulator prints beside its runs: with the
 * default laptop (20 ms a task, 18 ms an inner step, 0.25 ms a sample, 2x
 * spread) a batch of 128 split 16 ways cannot be computed more than ~2.5x
 * faster than on one laptop, in sync or local mode, which is why no link
 * makes 16 laptops 6x faster per global batch.
 */
describe('simulator compute bound', () => {
  it('one laptop computes a local:63 round in its fixed costs plus every sample', () => {
    expect(taskComputeMs(CLASSROOM, 63, 128, 1)).toBeCloseTo(20 + 62 * 18 + 63 * 128 * 0.25, 6);
    expect(taskComputeMs(CLASSROOM, 1, 128, 1)).toBeCloseTo(52, 6);
  });

  it('16 laptops are at most ~2.5x faster per global batch, and no class size reaches 6x', () => {
    expect(computeBound(CLASSROOM, 'sync', 16, 128)).toBeGreaterThan(2.2);
    expect(computeBound(CLASSROOM, 'sync', 16, 128)).toBeLessThan(2.5);
    expect(computeBound(CLASSROOM, 'local:63', 16, 128)).toBeGreaterThan(2.4);
    expect(computeBound(CLASSROOM, 'local:63', 16, 128)).toBeLessThan(2.6);
    expect(computeBoundLimit(CLASSROOM, 'local:63', 128)).toBeCloseTo(3152 / 1136, 6);
    expect(computeBoundLimit(CLASSROOM, 'sync', 128)).toBeCloseTo(52 / 20, 6);
    // More laptops never lower the bound, and it stays below the limit.
    const b = [2, 4, 8, 16, 32].map((n) => computeBound(CLASSROOM, 'local:16', n, 128));
    expect(b.every((x, i) => i === 0 || x >= b[i - 1]!)).toBe(true);
    expect(b.at(-1)!).toBeLessThan(computeBoundLimit(CLASSROOM, 'local:16', 128));
  });

  it('a compute-heavy job (per-sample cost dominating) is where the bound opens up', () => {
    const cnn = { ...CLASSROOM, msPerSample: 5 };
    expect(computeBound(cnn, 'local:16', 16, 128)).toBeGreaterThan(6);
  });

  it('prints one labelled line per mode', () => {
    const lines = boundLines(CLASSROOM, ['sync', 'local:63'], [1, 16], 128);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^simulated bound, local:63, compute only .* 16: 2\.\d\dx; any class size: < 2\.77x/);
  });
});
