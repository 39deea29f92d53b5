import { describe, expect, it } from 'vitest';
import { buildReport } from '../../coordinator/report';
import { parseArgs } from '../../coordinator/cli/args';
import { parseConfig } from '../../shared/config/parse';
import type { ConfigInput } from '../../shared/config/schema';
import { startHarness } from './harness';

/**
 * --target-accuracy: the run ends after the first validation pass (after an
 * epoch) whose accuracy reaches the target, as it ends after its last epoch:
 * a test pass, exit `completed`, and the report says where it stopped.
 * Two node peers over real ws on loopback; on this job (circles, seed 3) the
 * validation accuracy is 0.70, 0.73-0.78 after epochs 1 and 2, and >= 0.9
 * from epoch 3 (local) or 4 (sync) of the 15 asked for.
 */
const JOB = { dataset: 'circles', samples: 400, hidden: [16], optimizer: 'adam', lr: 0.01, batchSize: 32, epochs: 15, seed: 3, minPeers: 2, localSteps: 4 } satisfies ConfigInput;
const TARGET = 0.9;

describe('--target-accuracy', () => {
  it.each(['sync', 'local'] as const)('%s: stops at the first validation pass that reaches the target, not before, then tests', async (mode) => {
    const h = await startHarness({ ...JOB, mode, targetAccuracy: TARGET }, 2);
    try {
      expect(await h.done).toBe('completed');
      const run = h.c.run;
      const stepsPerEpoch = run.sampler.stepsPerEpoch;
      const vals = run.evaluator.evals.filter((e) => e.split === 'val' && e.pass === 'epoch');
      const last = vals.at(-1)!;
      // Every earlier pass was below the target (so it did not stop before), the last one reached it...
      expect(vals.length).toBeGreaterThanOrEqual(3);
      for (const v of vals.slice(0, -1)) expect(v.valAccuracy!).toBeLessThan(TARGET);
      expect(last.valAccuracy!).toBeGreaterThanOrEqual(TARGET);
      // ...and no step was trained after it: the run ended at that epoch's end, long before the 15 epochs asked for.
      expect(run.step).toBe((last.epoch + 1) * stepsPerEpoch);
      expect(run.step).toBeLessThan(JOB.epochs * stepsPerEpoch);
      expect(run.accounting.filter((a) => a.complete)).toHaveLength(last.epoch + 1);
      // As after a last epoch: the test pass on those weights (no second validation pass), and its accuracy.
      const after = run.evaluator.evals.slice(run.evaluator.evals.indexOf(last) + 1);
      expect(after.map((e) => [e.split, e.step])).toEqual([['test', run.step]]);
      expect(run.evaluator.final.testAccuracy).not.toBeNull();
      expect(run.evaluator.final.valAccuracy).toBe(last.valAccuracy);
      // The report says where it stopped.
      const report = buildReport(run, 1) as { targetReached: { step: number; epochNumber: number; valAccuracy: number } | null; stopReason: string; exitReason: string };
      expect(report.exitReason).toBe('completed');
      expect(report.targetReached).toMatchObject({ step: run.step, epoch: last.epoch, epochNumber: last.epoch + 1, valAccuracy: last.valAccuracy });
      expect(report.stopReason).toContain(`reached the target ${TARGET} at step ${run.step}, epoch ${last.epoch + 1}`);
    } finally {
      await h.close();
    }
  });

  it('is off by default: the same job trains every epoch asked for', async () => {
    const h = await startHarness({ ...JOB, epochs: 5 }, 2);
    try {
      expect(await h.done).toBe('completed');
      expect(h.c.run.step).toBe(5 * h.c.run.sampler.stepsPerEpoch);
      expect(h.c.run.evaluator.targetReached).toBeNull();
      expect(h.c.run.evaluator.stopReason).toBeNull();
    } finally {
      await h.close();
    }
  });

  it('is an accuracy: 0 < x <= 1, from the command line and config files alike', () => {
    expect(parseConfig({ targetAccuracy: 1 }).targetAccuracy).toBe(1);
    expect(parseConfig({}).targetAccuracy).toBeUndefined();
    expect(() => parseConfig({ targetAccuracy: 0 })).toThrow(/targetAccuracy/);
    expect(() => parseConfig({ targetAccuracy: 1.01 })).toThrow(/targetAccuracy/);
    expect(parseArgs(['run', '--target-accuracy', '0.95']).input.targetAccuracy).toBe(0.95);
  });
});
