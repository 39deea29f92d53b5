import { describe, expect, it } from 'vitest';
import { interleave } from '../../coordinator/round/localPolicy';
import { packLocalPlan, unpackLocalPlan, type InnerOptimizer } from '../../shared/protocol/localPlan';
import { isTabtrainError } from '../../shared/errors';

const inner: InnerOptimizer = { name: 'adam', lr: 0.001, momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 };

describe('local-steps round layout and task plan', () => {
  it('interleaves H batches so any contiguous shard holds a near-equal share of each batch, every sample once', () => {
    const batches = [Uint32Array.of(0, 1, 2, 3, 4), Uint32Array.of(10, 11, 12, 13, 14), Uint32Array.of(20, 21, 22)];
    const { items, stepOf } = interleave(batches);
    expect([...items].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22]);
    for (let p = 0; p < items.length; p++) expect(batches[stepOf[p]!]).toContain(items[p]);
    // The first 6 positions: two samples of each batch.
    const share = [0, 0, 0];
    for (let p = 0; p < 6; p++) share[stepOf[p]!]!++;
    expect(share).toEqual([2, 2, 2]);
  });

  it('packs the inner optimizer and the steps into the index block and reads them back', () => {
    const steps = [Uint32Array.of(5, 6), new Uint32Array(0), Uint32Array.of(7)];
    const plan = unpackLocalPlan(packLocalPlan(inner, steps));
    expect(plan.inner.name).toBe('adam');
    expect(plan.inner.lr).toBeCloseTo(0.001, 9);
    expect(plan.steps.map((s) => [...s])).toEqual([[5, 6], [], [7]]);
  });

  it('refuses a block whose step sizes run past its end, naming the problem', () => {
    const block = packLocalPlan(inner, [Uint32Array.of(1, 2)]);
    try {
      unpackLocalPlan(block.subarray(0, block.length - 1));
      expect.unreachable();
    } catch (e) {
      expect(isTabtrainError(e) && e.code).toBe('FRAME_INVALID');
      expect(String(e)).toMatch(/runs past the block/);
    }
  });
});
