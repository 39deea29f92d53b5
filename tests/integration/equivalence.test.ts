import { describe, expect, it } from 'vitest';
import { startHarness } from './harness';
import { maxAbsDiff, referenceWeights } from './reference';

/**
 * The data-parallel invariant: sync training with N peers and any split of
 * the global batch gives the weights one process gets from the whole batch.
 */
describe('sync training equals the single-process reference', () => {
  it.each([
    ['momentum', 1, 1e-5],
    ['momentum', 3, 1e-5],
    ['adam', 3, 1e-4],
  ] as const)('%s with %i node peer(s), 20 steps', async (optimizer, peers, tol) => {
    const h = await startHarness({ dataset: 'mnist', model: 'mlp', hidden: [32], optimizer, batchSize: 50, steps: 20, seed: 7, minPeers: peers }, peers);
    try {
      expect(await h.done).toBe('completed');
      const ref = await referenceWeights(h.prepared, 20);
      const got = h.c.run.store.weights;
      expect(got.length).toBe(ref.length);
      // The weights moved, and moved the same way.
      expect(maxAbsDiff(got, h.prepared.setup.model.initial)).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(got, ref)).toBeLessThan(tol);
      // With several peers the batch really was split (uneven: 50 over 3).
      if (peers > 1) {
        const used = h.c.run.peers.size;
        expect(used).toBe(peers);
        for (const p of h.c.run.peers.values()) expect(p.samples).toBeGreaterThan(0);
      }
    } finally {
      await h.close();
    }
  });
});
