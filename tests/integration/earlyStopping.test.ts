import { describe, expect, it } from 'vitest';
import { startHarness } from './harness';

describe('early stopping', () => {
  it('stops when validation loss has not improved for --patience epochs and restores the best weights', async () => {
    // A big net on a small, noisy set overfits within a few epochs.
    const h = await startHarness(
      { dataset: 'gauss', samples: 120, noise: 2, hidden: [128, 128], optimizer: 'adam', lr: 0.02, batchSize: 16, epochs: 200, patience: 3, minPeers: 2 },
      2,
    );
    try {
      expect(await h.done).toBe('early-stopped');
      const run = h.c.run;
      const ev = run.evaluator;
      const vals = run.evaluator.evals.filter((e) => e.split === 'val' && e.pass === 'epoch');
      const best = ev.bestEpoch!;
      expect(best).not.toBeNull();
      const lastEpoch = Math.max(...vals.map((e) => e.epoch));
      // Stopped exactly `patience` epochs after the best one, long before the 200 asked for.
      expect(lastEpoch - best).toBe(3);
      expect(lastEpoch).toBeLessThan(199);
      const bestLoss = Math.min(...vals.map((e) => e.valLoss));
      expect(vals.find((e) => e.epoch === best)!.valLoss).toBe(bestLoss);
      // The final validation loss is that of the restored best weights, not of the last epoch.
      expect(ev.final.valLoss).toBeCloseTo(bestLoss, 5);
      expect(ev.stopReason).toContain(`epoch ${best + 1}`);
    } finally {
      await h.close();
    }
  });
});
