import { describe, expect, it } from 'vitest';
import { meteredEpoch, total } from './meteredEpoch';

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
    await meteredEpoch({ compress }, (run, meters) => {
      expect(run.evaluator.final.testAccuracy).toBeGreaterThan(accuracy);
      expect(run.history.at(-1)!.loss).toBeLessThan(run.history[0]!.loss);
      // Every GRAD sent (accepted or not) against the same number of fp32 gradients.
      const grads = total(meters, 'sent', 'GRAD');
      expect(grads.frames).toBeGreaterThanOrEqual(run.history.length);
      const fp32Bytes = grads.frames * 4 * run.store.trainableSize;
      expect(grads.bytes).toBeGreaterThan(0);
      expect(grads.bytes).toBeLessThanOrEqual(shareOfFp32 * fp32Bytes + 64 * 1024);
    });
  });
});
