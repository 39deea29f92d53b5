import { describe, expect, it } from 'vitest';
import { meterTrace, wireMeter } from '../../bench/replay/wireMeter';
import { startNodePeer } from '../../client/node/nodePeer';
import { GradientHold } from '../../client/peer/gradientHold';
import type { PeerTrace } from '../../client/peer/trace';
import { startHarness } from '../integration/harness';

/**
 * The peer's trace hooks (client/peer/trace.ts) on a real run: the gradient
 * hold the elastic e2e spec drives holds a computed gradient back until it is
 * released (the coordinator gets nothing meanwhile), and the frame hooks see
 * every frame in and out.
 */
describe('peer trace hooks', () => {
  it('hold a gradient back until released, and see every frame', async () => {
    const h = await startHarness({ dataset: 'xor', samples: 200, model: 'mlp', hidden: [4], steps: 4, batchSize: 16 }, 0);
    const changes: boolean[] = [];
    let onHeld: () => void = () => undefined;
    const held = new Promise<void>((r) => (onHeld = r));
    const hold = new GradientHold((x) => {
      changes.push(x);
      if (x) onHeld();
    });
    hold.act('arm');
    const meter = wireMeter();
    const frames = meterTrace(meter);
    const trace: PeerTrace = { sent: frames.sent!, received: frames.received!, gradientReady: (e) => hold.gradientReady(e) };
    h.peers.push(startNodePeer({ joinUrl: h.c.localJoinUrl, nickname: 'slow', trace }));
    try {
      await held;
      // Computed, not sent: the one peer's step cannot complete.
      expect(meter.sent.GRAD).toBeUndefined();
      expect(meter.received['TASK/train']!.frames).toBeGreaterThanOrEqual(1);
      expect(h.c.run.step).toBe(0);
      hold.act('release');
      expect(await h.done).toBe('completed');
      expect(changes).toEqual([true, false]); // armed once: only the first gradient was held
      expect(h.c.run.step).toBe(4);
      expect(meter.sent.HELLO!.frames).toBe(1);
      expect(meter.sent.GRAD!.frames).toBeGreaterThanOrEqual(4);
    } finally {
      await h.close();
    }
  });
});
