import { describe, expect, it } from 'vitest';
import { startHarness } from './harness';
import { when } from './when';

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
    const h = await startHarness({ dataset: 'mnist', model: 'logreg', steps: 30, batchSize: 32 }, 0);
    try {
      const run = h.c.run;
      const control = (action: string): Promise<Response> =>
        fetch(`http://127.0.0.1:${h.c.port}/api/control`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-admin-token': h.c.adminToken }, body: JSON.stringify({ action }) });
      // No peer: the run waits; a pause asked for now holds it even once a peer is ready.
      expect(run.state).toBe('waiting');
      expect((await control('pause')).status).toBe(200);
      h.addPeer();
      await when(run, () => run.readyPeers === 1);
      expect(run.state).toBe('paused');
      expect(run.step).toBe(0);
      expect(run.ledger.inFlight().size).toBe(0); // paused: no task went out
      // Resumed: it trains; paused again mid-run, the step under way finishes and nothing more goes out.
      expect((await control('resume')).status).toBe(200);
      await when(run, () => run.step >= 2);
      expect((await control('pause')).status).toBe(200);
      await when(run, () => run.engine.stage === 'complete');
      const at = run.step;
      expect(run.state).toBe('paused');
      expect(at).toBeLessThan(30);
      expect(run.ledger.inFlight().size).toBe(0);
      expect((await control('resume')).status).toBe(200);
      expect(await h.done).toBe('completed');
      expect(run.step).toBe(30);
      expect(run.history.map((e) => e.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(run.controls.map((c) => [c.action, c.step])).toEqual([
        ['pause', 0],
        ['resume', 0],
        ['pause', expect.any(Number)],
        ['resume', at],
      ]);
    } finally {
      await h.close();
    }
  });
});
