import { describe, expect, it } from 'vitest';
import { startHarness } from './harness';

describe('coordinator + node peers over real ws on loopback', () => {
  it('trains the MLP on embedded MNIST past 0.88 validation accuracy in one epoch', async () => {
    const h = await startHarness({ dataset: 'mnist', model: 'mlp', epochs: 1, batchSize: 64, minPeers: 2 }, 2);
    try {
      expect(await h.done).toBe('completed');
      const run = h.c.run;
      const f = run.evaluator.final;
      expect(f.valAccuracy).toBeGreaterThan(0.88);
      expect(f.testAccuracy).toBeGreaterThan(0.88);
      // Exactly-once: every training sample of the epoch was used once.
      expect(run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: 8000, complete: true })]);
      expect(run.history).toHaveLength(125);
      expect(run.history.every((e) => Number.isFinite(e.loss) && e.lr === 0.001)).toBe(true);
      // The loss went down.
      expect(run.history.at(-1)!.loss).toBeLessThan(run.history[0]!.loss / 3);
      // Both peers did work, and the report says what each did.
      for (const p of run.peers.values()) {
        expect(p.samples).toBeGreaterThan(500);
        expect(p.evalSamples).toBeGreaterThan(0);
      }
    } finally {
      await h.close();
    }
  });

  it('pauses with no peers and resumes when one joins', async () => {
    const h = await startHarness({ dataset: 'mnist', model: 'logreg', steps: 6, batchSize: 32 }, 0);
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(h.c.run.state).toBe('waiting');
      expect(h.c.run.step).toBe(0);
      h.addPeer();
      expect(await h.done).toBe('completed');
      expect(h.c.run.step).toBe(6);
    } finally {
      await h.close();
    }
  });
});
