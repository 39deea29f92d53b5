import { describe, expect, it } from 'vitest';
import { startHarness } from './harness';
import { maxAbsDiff, referenceWeights } from './reference';

/**
 * --mode local (DiLoCo) on a real coordinator with real node peers. With one
 * inner step, inner SGD at lr eta and outer SGD at lr 1, a round is exactly a
 * sync SGD step at lr eta: the weighted mean weight change is eta times the
 * global batch's mean gradient.
 */
describe('local steps', () => {
  it.each([1, 3])('H = 1, inner sgd eta, outer sgd 1 equals sync sgd eta with %i node peer(s)', async (peers) => {
    const eta = 0.1;
    const h = await startHarness(
      { dataset: 'mnist', model: 'mlp', hidden: [32], mode: 'local', localSteps: 1, optimizer: 'sgd', lr: eta, outerOptimizer: 'sgd', outerLr: 1, batchSize: 50, steps: 12, seed: 7, minPeers: peers },
      peers,
    );
    try {
      expect(await h.done).toBe('completed');
      const p = h.prepared;
      const syncRun = { ...p, setup: { ...p.setup, lr: eta, config: { ...p.setup.config, mode: 'sync' as const } } };
      const ref = await referenceWeights(syncRun, 12);
      const got = h.c.run.store.weights;
      expect(maxAbsDiff(got, p.setup.model.initial)).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(got, ref)).toBeLessThan(2e-5);
      expect(h.c.run.step).toBe(12);
      expect(h.c.run.history).toHaveLength(12);
      if (peers > 1) for (const x of h.c.run.peers.values()) expect(x.samples).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });

  it('H = 4 over two peers: a round consumes 4 global batches, every sample of the epoch once, the loss falls', async () => {
    // 1000 training samples / batch 50 = 20 batches: 5 rounds of 4 per epoch.
    const h = await startHarness(
      { dataset: 'mnist', samples: 1250, model: 'mlp', hidden: [32], mode: 'local', localSteps: 4, optimizer: 'sgd', lr: 0.1, batchSize: 50, epochs: 2, seed: 3, minPeers: 2 },
      2,
    );
    try {
      expect(await h.done).toBe('completed');
      const run = h.c.run;
      const train = h.prepared.setup.dataset.meta.splits.train;
      expect(run.step).toBe(2 * Math.ceil(train / 50));
      expect(run.history.length).toBe(Math.ceil(Math.ceil(train / 50) / 4) * 2);
      expect(run.history.every((x) => x.samples <= 200)).toBe(true);
      for (const a of run.accounting) {
        expect(a.samplesUsed).toBe(train);
        expect(a.complete).toBe(true);
      }
      expect(run.history.at(-1)!.loss).toBeLessThan(run.history[0]!.loss);
      expect(h.logs.some((l) => l.includes('fresh inner optimizer state'))).toBe(true);
    } finally {
      await h.close();
    }
  });
});
