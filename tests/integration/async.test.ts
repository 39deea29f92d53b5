import { describe, expect, it } from 'vitest';
import { startHarness } from './harness';

/**
 * --mode async: peers pull batches continuously; a gradient is applied on
 * arrival when at most maxStaleness versions old, else dropped and its batch
 * computed again, so every sample of an epoch is still applied exactly once.
 */
describe('asynchronous training with bounded staleness', () => {
  it('trains MNIST past 0.85 validation accuracy in one epoch over 3 node peers; staleness within the bound', async () => {
    const S = 2;
    const h = await startHarness({ dataset: 'mnist', model: 'mlp', hidden: [64], epochs: 1, batchSize: 64, minPeers: 3, mode: 'async', maxStaleness: S }, 3);
    try {
      expect(await h.done).toBe('completed');
      const run = h.c.run;
      expect(run.evaluator.final.valAccuracy).toBeGreaterThan(0.85);
      expect(run.evaluator.final.testAccuracy).toBeGreaterThan(0.85);
      const a = run.async!.report() as { stalenessHistogram: number[]; applied: number; staleDropped: number };
      // The histogram covers 0..S only, and counts every applied update.
      expect(a.stalenessHistogram).toHaveLength(S + 1);
      expect(a.applied).toBe(run.step);
      expect(run.step).toBe(125);
      expect(run.history.every((e) => e.staleness !== undefined && e.staleness <= S)).toBe(true);
      // Three peers computing at once: most updates are applied on weights one or two versions old.
      expect(a.stalenessHistogram[0]!).toBeLessThan(run.step);
      expect(run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: 8000, complete: true })]);
      for (const p of run.peers.values()) expect(p.samples).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });

  it('drops gradients beyond the bound and recomputes their samples: exactly once per epoch all the same', async () => {
    // maxStaleness 0 with 3 peers: of each three concurrent gradients usually only the first is fresh.
    const h = await startHarness({ dataset: 'xor', samples: 500, model: 'mlp', hidden: [8], epochs: 2, batchSize: 25, minPeers: 3, mode: 'async', maxStaleness: 0, lr: 0.05 }, 3);
    try {
      expect(await h.done).toBe('completed');
      const run = h.c.run;
      const a = run.async!.report() as { stalenessHistogram: number[]; staleDropped: number; maxDroppedStaleness: number };
      expect(a.staleDropped).toBeGreaterThan(0);
      expect(a.maxDroppedStaleness).toBeGreaterThan(0);
      expect(a.stalenessHistogram).toEqual([run.step]);
      expect(run.step).toBe(32);
      expect(run.accounting.map((x) => [x.epoch, x.samplesUsed, x.complete])).toEqual([
        [0, 400, true],
        [1, 400, true],
      ]);
      expect(run.accounting.reduce((s, x) => s + (x.staleDropped ?? 0), 0)).toBe(a.staleDropped);
      // Every training sample was applied exactly once per epoch: the per-peer sums add up too.
      expect([...run.peers.values()].reduce((s, p) => s + p.samples, 0)).toBe(800);
    } finally {
      await h.close();
    }
  });
});
