import { describe, expect, it } from 'vitest';
import { buildReport } from '../../coordinator/report';
import { formatWeightsCodec, parseWeightsCodec } from '../../shared/compress';
import { meteredEpoch, total } from './meteredEpoch';

/**
 * Each gradient codec and each weights codec, end to end: a real
 * coordinator, two node peers over ws on loopback, one epoch of the MLP on
 * embedded MNIST. Every run pairs one gradient codec (peers -> coordinator)
 * with one weights codec (coordinator -> peers), so three runs cover the six
 * lossy or delta codecs; the checks of each direction are apart. The accuracy each pair must
 * reach (the reported accuracy is computed on the exact float32 weights; a
 * lossy pair must clear the lower of its two bars), exact sample accounting,
 * the gradient bytes up and the weights bytes down per training TASK,
 * measured on the peers' sockets, each as a share of float32.
 */
const GRADS = { fp16: [0.88, 0.51], int8: [0.87, 0.26], 'topk:0.01': [0.8, 0.03] } as const;
const WEIGHTS = { fp16: [0.87, 0.51], delta: [0.87, 0.27], 'delta:fp16': [0.87, 0.52] } as const;

describe('training with each gradient codec and each weights codec over node peers', () => {
  // none/none, the default, is tests/integration/training.test.ts's run.
  it.each([
    ['fp16', 'fp16'],
    ['int8', 'delta'],
    ['topk:0.01', 'delta:fp16'],
  ] as const)('--compress %s --weights-codec %s: accuracy after one epoch, bytes each way, exact accounting', async (compress, weightsCodec) => {
    const [gradAccuracy, gradShare] = GRADS[compress];
    const [weightsAccuracy, weightsShare] = WEIGHTS[weightsCodec];
    await meteredEpoch({ compress, weightsCodec }, (run, meters) => {
      expect(run.evaluator.final.testAccuracy).toBeGreaterThan(Math.min(gradAccuracy, weightsAccuracy));
      expect(run.history.at(-1)!.loss).toBeLessThan(run.history[0]!.loss);
      expect(run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: run.sampler.trainSize, complete: true })]);
      expect(run.history.reduce((a, x) => a + x.samples, 0)).toBe(run.sampler.trainSize);

      // Up: every GRAD sent (accepted or not) against the same number of fp32 gradients.
      const grads = total(meters, 'sent', 'GRAD');
      expect(grads.frames).toBeGreaterThanOrEqual(run.history.length);
      const fp32Bytes = grads.frames * 4 * run.store.trainableSize;
      expect(grads.bytes).toBeGreaterThan(0);
      expect(grads.bytes).toBeLessThanOrEqual(gradShare * fp32Bytes + 64 * 1024);

      // Down: the weights in each training TASK.
      const tasks = total(meters, 'received', 'TASK/train');
      expect(tasks.frames).toBeGreaterThanOrEqual(run.history.length);
      expect(tasks.bytes / tasks.frames).toBeLessThanOrEqual(weightsShare * 4 * run.store.weights.length);
      const c = run.broadcast.counts;
      // The report echoes the options and counts what went down.
      const report = buildReport(run, 0);
      expect(report.config).toEqual(expect.objectContaining({ compress, weightsCodec }));
      expect(report.weights).toEqual({ codec: formatWeightsCodec(parseWeightsCodec(weightsCodec)), ...c });
      expect(c.full + c.delta).toBeGreaterThanOrEqual(tasks.frames);
      if (weightsCodec.startsWith('delta')) {
        // Full weights only to start each peer off and after the validation pass; deltas otherwise.
        expect(c.delta).toBeGreaterThan(0.9 * tasks.frames);
        expect(c.full).toBeLessThanOrEqual(6);
      } else {
        expect(c.delta).toBe(0);
      }
    });
  });
});
