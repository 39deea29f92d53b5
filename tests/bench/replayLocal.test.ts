import { describe, expect, it } from 'vitest';
import { startReplayPeer, type ReplayPeer } from '../../bench/replay/replayPeer';
import { wireMeter } from '../../bench/replay/wireMeter';
import { startHarness } from '../integration/harness';

/**
 * Replay peers answer --mode local's LOCAL tasks too (a weight change for the
 * plan's sample count), so the load bench can run local mode: a run with only
 * them completes, every round covering H global batches exactly once.
 */
describe('replay peers in local mode', () => {
  it('carry a local-steps run (H = 4) to the end with exact accounting', async () => {
    const h = await startHarness({ dataset: 'gauss', samples: 2000, model: 'mlp', hidden: [32], batchSize: 64, steps: 12, minPeers: 5, mode: 'local', localSteps: 4 }, 0);
    const meter = wireMeter();
    const peers: ReplayPeer[] = Array.from({ length: 5 }, (_, i) => startReplayPeer({ joinUrl: h.c.localJoinUrl, nickname: `r${i}`, ...(i === 0 ? { meter } : {}) }));
    try {
      expect(await h.done).toBe('completed');
      const run = h.c.run;
      expect(run.step).toBe(12);
      // Three rounds of 4 global batches of 64: one outer update each.
      expect(run.history.map((x) => x.samples)).toEqual([256, 256, 256]);
      expect(run.accounting[0]!.samplesUsed).toBe(12 * 64);
      expect([...run.peers.values()].reduce((a, p) => a + p.samples, 0)).toBe(12 * 64);
      expect(run.evaluator.final.testAccuracy).not.toBeNull();
      expect(meter.received['TASK/local']!.frames).toBeGreaterThanOrEqual(1);
      expect(meter.received['TASK/local']!.frames).toBe(meter.sent.GRAD!.frames);
      expect(meter.received['TASK/train']).toBeUndefined();
    } finally {
      for (const p of peers) p.stop();
      await h.close();
    }
  });
});
