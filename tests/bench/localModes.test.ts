import { describe, expect, it } from 'vitest';
import { bytesPerSample, curveChart, jobRows, modeFigures } from '../../bench/items/localModes';
import type { EvalEntry, HistoryEntry } from '../../coordinator/run/types';

/**
 * The local-modes bench's figures: a local history row is a round of H global
 * batches, so an epoch's validation pass is placed at the last row at or before
 * its step (not at history[step - 1], which a round-based history does not have),
 * and samples/s is over wall time (async steps overlap: their durations do not add up).
 */
const row = (step: number, t: number, ms: number, samples: number): HistoryEntry => ({ step, epoch: 0, loss: 1, lr: 0.7, peers: 4, ms, computeMs: ms / 2, updateMs: 0, samples, t });
const val = (step: number, acc: number): EvalEntry => ({ epoch: 0, step, split: 'val', pass: 'epoch', valLoss: 0.3, valAccuracy: acc, metrics: {} as EvalEntry['metrics'] });

describe('local-modes bench figures', () => {
  it('places evaluations by step over rounds and counts samples over the wall time of training', () => {
    // Two epochs of 6 global batches of 128, in rounds of H = 4: steps 4, 6 | 10, 12.
    const history = [row(4, 3, 2000, 512), row(6, 4.5, 1000, 256), row(10, 8, 2000, 512), row(12, 9, 1000, 256)];
    const f = modeFigures({ history, evals: [val(6, 0.85), val(12, 0.93)], testAccuracy: 0.92 }, 0.9);
    // t0 = 3 - 2 = 1 s; epoch ends at rows t = 4.5 and 9.
    expect(f.points).toEqual([[3.5, 0.85], [8, 0.93]]);
    expect(f.timeToTarget).toBe(8);
    // 1536 samples from t0 = 1 s to the last round's end at 9 s.
    expect(f.samplesPerSec).toBe(192);
    expect(f.rounds).toBe(4);
    expect(f.testAccuracy).toBe(0.92);
  });

  it('counts bytes through the coordinator per training sample, and each mode against sync', () => {
    // 1536 samples; 600 kB of gradients in and 900 kB of weights out.
    expect(bytesPerSample({ gradBytesIn: 600_000, weightsBytesOut: 900_000 }, 1536)).toBeCloseTo(976.5625, 6);
    const run = (mode: string, timeToTarget: number | null, bps: number, points: [number, number][]) => ({
      job: 'MLP', mode, tabs: 4, timeToTarget, bytesPerSample: bps, points, epochsRun: points.length, error: null, testAccuracy: 0.95, samplesPerSec: 100, rounds: 10, samples: 1536,
      trainingSeconds: 10, wire: { gradBytesIn: 0, weightsBytesOut: 0 }, load: [3, 4] as [number, number],
    });
    const rows = jobRows([run('sync', 40, 6400, [[20, 0.9], [40, 0.95]]), run('local H=16', 10, 800, [[5, 0.93], [10, 0.96]]), run('local H=64', null, 200, [[3, 0.9], [6, 0.94]])]);
    // Time to target over sync's, bytes over sync's; a run that missed the target says so with its best.
    expect(rows[0]!.slice(2, 5)).toEqual(['40 s (epoch 2)', '1x', '6,400 (1x)']);
    expect(rows[1]!.slice(2, 5)).toEqual(['10 s (epoch 2)', '0.25x', '800 (0.125x)']);
    expect(rows[2]!.slice(2, 4)).toEqual(['not reached in 2 epochs (best 0.940)', '-']);
  });

  it('plots validation error per mode with the target as a line, on an axis that fits the curves', () => {
    const svg = curveChart({ name: 'MNIST MLP', tabs: 4, target: 0.95 }, [
      { mode: 'sync', points: [[40, 0.93], [80, 0.953]] },
      { mode: 'local H=16', points: [[20, 0.8], [40, 0.96]] },
      { mode: 'failed run', points: [] },
    ]);
    expect(svg).toContain('>sync<');
    expect(svg).toContain('>local H=16<');
    expect(svg).toContain('>target 0.95<');
    expect(svg).not.toContain('failed run');
    // Largest error 0.2: the axis ends at 0.25 (0.2 x 1.15 rounded up to 0.05), not at 1.
    expect(svg).toMatch(/>0\.25</);
    expect(svg).not.toMatch(/>1</);
  });
});
