import { describe, expect, it } from 'vitest';
import { medianRoundSamplesPerSec, wallSamplesPerSec } from '../../bench/items/localRatio';
import type { HistoryEntry } from '../../coordinator/run/types';

/**
 * The 1-tab local-vs-plain bench's two figures: the first round (WebGL
 * programs compiled) is left out of both; "median round" is samples over
 * each round's own wall time, "wall" counts what happens between rounds
 * (the validation pass after an epoch) as time spent.
 */
const row = (step: number, t: number, ms: number, samples: number): HistoryEntry => ({ step, epoch: 0, loss: 1, lr: 0.7, peers: 1, ms, computeMs: ms, updateMs: 0, samples, t });

describe('local-ratio bench figures', () => {
  it('leaves the compiling first round out and counts the gap of a validation pass only in the wall figure', () => {
    // Rounds of 2048 samples: a slow first one (4 s), then 1, 2 and 1 s; a 1 s validation pass before the last.
    const history = [row(16, 4, 4000, 2048), row(32, 5, 1000, 2048), row(48, 7, 2000, 2048), row(63, 9, 1000, 2048)];
    // Per round: 2048, 1024, 2048 samples/s; the median is 2048.
    expect(medianRoundSamplesPerSec(history)).toBe(2048);
    // From the second round's start (t = 4) to the last one's end (t = 9): 3 x 2048 samples in 5 s.
    expect(wallSamplesPerSec(history)).toBeCloseTo((3 * 2048) / 5, 6);
  });

  it('has no figure without a round after the first', () => {
    expect(medianRoundSamplesPerSec([row(16, 4, 4000, 2048)])).toBeNaN();
    expect(wallSamplesPerSec([row(16, 4, 4000, 2048)])).toBeNaN();
  });
});
