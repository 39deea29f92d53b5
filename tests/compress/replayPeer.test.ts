import { describe, expect, it } from 'vitest';
import { startReplayPeer, type ReplayPeer } from '../../bench/replay/replayPeer';
import { wireMeter } from '../../bench/replay/wireMeter';
import { startHarness } from '../integration/harness';

/** Replay peers (bench item 5) speak the whole protocol: a run with only them completes, in any codec. */
describe('replay peers', () => {
  it.each(['none', 'int8', 'topk:0.05'])('carry a run to the end with --compress %s', async (compress) => {
    const h = await startHarness({ dataset: 'gauss', samples: 2000, model: 'mlp', hidden: [32], batchSize: 64, steps: 12, minPeers: 5, compress }, 0);
    const meter = wireMeter();
    const peers: ReplayPeer[] = Array.from({ length: 5 }, (_, i) => startReplayPeer({ joinUrl: h.c.localJoinUrl, nickname: `r${i}`, ...(i === 0 ? { meter } : {}) }));
    try {
      expect(await h.done).toBe('completed');
      const run = h.c.run;
      expect(run.step).toBe(12);
      expect(run.history.every((x) => x.samples === 64)).toBe(true);
      expect(peers.reduce((a, p) => a + p.stats.tasks, 0)).toBeGreaterThanOrEqual(12 * 5);
      // The final evaluation passes got well-formed results too.
      expect(run.evaluator.final.testAccuracy).not.toBeNull();
      expect(meter.sent.GRAD!.frames).toBeGreaterThanOrEqual(12);
      expect(meter.received['TASK/train']!.frames).toBe(meter.sent.GRAD!.frames);
    } finally {
      for (const p of peers) p.stop();
      await h.close();
    }
  });
});
