import { describe, expect, it } from 'vitest';
import { buildReport } from '../../coordinator/report';
import { formatWeightsCodec, parseWeightsCodec } from '../../shared/compress';
import { meteredEpoch, total } from './meteredEpoch';

/**
 * Each weights codec, end to end: a real coordinator, two node peers over
 * ws on loopback, one epoch of the MLP on embedded MNIST. The accuracy each
 * must reach (the reported accuracy is computed on the exact float32
 * weights), exact sample accounting, and the weights bytes going down per
 * training TASK, measured on the peers' sockets, as a share of float32.
 */
describe('training with each weights codec over node peers', () => {
  it.each([
    ['none', 0.87, 1.01],
    ['fp16', 0.87, 0.51],
    ['delta', 0.87, 0.27],
    ['delta:fp16', 0.87, 0.52],
  ] as const)('--weights-codec %s reaches > %f test accuracy; down bytes per train task <= %f of fp32', async (weightsCodec, accuracy, shareOfFp32) => {
    await meteredEpoch({ weightsCodec }, (run, meters) => {
      expect(run.evaluator.final.testAccuracy).toBeGreaterThan(accuracy);
      expect(run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: run.sampler.trainSize, complete: true })]);
      expect(run.history.reduce((a, x) => a + x.samples, 0)).toBe(run.sampler.trainSize);
      const tasks = total(meters, 'received', 'TASK/train');
      expect(tasks.frames).toBeGreaterThanOrEqual(run.history.length);
      expect(tasks.bytes / tasks.frames).toBeLessThanOrEqual(shareOfFp32 * 4 * run.store.weights.length);
      const c = run.broadcast.counts;
      // The report echoes the option and counts what went down.
      const report = buildReport(run, 0);
      expect(report.config).toEqual(expect.objectContaining({ weightsCodec }));
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
