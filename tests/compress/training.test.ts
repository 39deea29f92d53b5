import { describe, expect, it } from 'vitest';
import { startNodePeer } from '../../client/node/nodePeer';
import { wireMeter } from '../../client/node/wireMeter';
import { startHarness } from '../integration/harness';

/**
 * Each gradient codec, end to end: a real coordinator, two node peers over
 * ws on loopback, one epoch of the MLP on embedded MNIST. The accuracy each
 * must reach, and the gradient bytes it must stay under (as a share of fp32).
 */
describe('training with each gradient codec over node peers', () => {
  it.each([
    ['none', 0.88, 1.0],
    ['fp16', 0.88, 0.51],
    ['int8', 0.87, 0.26],
    ['topk:0.01', 0.8, 0.03],
  ] as const)('--compress %s reaches > %f test accuracy in one epoch', async (compress, accuracy, shareOfFp32) => {
    const h = await startHarness({ dataset: 'mnist', model: 'mlp', epochs: 1, batchSize: 64, minPeers: 2, compress }, 0);
    const meters = [wireMeter(), wireMeter()];
    meters.forEach((meter, i) => h.peers.push(startNodePeer({ joinUrl: h.c.localJoinUrl, nickname: `node-${i + 1}`, meter })));
    try {
      expect(await h.done).toBe('completed');
      const run = h.c.run;
      expect(run.evaluator.final.testAccuracy).toBeGreaterThan(accuracy);
      expect(run.history.at(-1)!.loss).toBeLessThan(run.history[0]!.loss);
      const gradBytes = meters.reduce((a, m) => a + (m.sent.GRAD?.bytes ?? 0), 0);
      // Every GRAD sent (accepted or not) against the same number of fp32 gradients.
      const gradFrames = meters.reduce((a, m) => a + (m.sent.GRAD?.frames ?? 0), 0);
      expect(gradFrames).toBeGreaterThanOrEqual(run.history.length);
      const fp32Bytes = gradFrames * 4 * run.store.trainableSize;
      expect(gradBytes).toBeGreaterThan(0);
      expect(gradBytes).toBeLessThanOrEqual(shareOfFp32 * fp32Bytes + 64 * 1024);
    } finally {
      await h.close();
    }
  });
});
