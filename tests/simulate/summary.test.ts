import { describe, expect, it } from 'vitest';
import { bestN, summaryLines, timeTo } from '../../coordinator/simulate/report';
import type { SimulationRow } from '../../coordinator/simulate/types';

/**
 * The simulator's printed summary, from literal rows: the time to an accuracy
 * is read off each run's validation curve, the speed-up is over 1 laptop in
 * the same mode, and with several local modes "H chosen per class size" takes
 * the fastest H at each N (over the fastest at 1).
 */
const row = (mode: string, laptops: number, curve: [number, number][], target = 0.95): SimulationRow => ({
  mode,
  laptops,
  curve,
  timeToTarget: curve.find((p) => p[1] >= target)?.[0] ?? null,
  steps: 0,
  bytes: 0,
  bytesPerSample: 0,
  stepMs: 0,
  bestValAccuracy: Math.max(...curve.map((p) => p[1])),
  seconds: curve.at(-1)![0],
  ledger: { reassigned: 0, duplicatesDropped: 0, lateDropped: 0 },
});

const rows = [
  row('sync', 1, [[10, 0.91], [20, 0.95]]),
  row('sync', 16, [[80, 0.91], [160, 0.95]]),
  row('local:16', 1, [[4, 0.91], [8, 0.96]]),
  row('local:16', 16, [[6, 0.9], [12, 0.94]]),
  row('local:63', 1, [[3.5, 0.9], [7, 0.95]]),
  row('local:63', 16, [[1, 0.93], [2, 0.95]]),
];

describe('simulation summary', () => {
  it('reads times off the validation curve', () => {
    expect(timeTo(rows[3]!, 0.9)).toBe(6);
    expect(timeTo(rows[3]!, 0.95)).toBeNull();
    expect(bestN(rows, 'sync')).toBe(1);
    expect(bestN(rows, 'local:63', 0.93)).toBe(16);
  });

  it('prints speed-ups per mode, and local with H chosen per class size', () => {
    const lines = summaryLines(rows, { modes: ['sync', 'local:16', 'local:63'], laptops: [1, 16], target: 0.95 });
    expect(lines).toContain('simulated, val acc 0.95, sync: 1: 20.0 s, 16: 160.0 s (0.13x); fastest at 1 laptops');
    expect(lines).toContain('simulated, val acc 0.95, local:16: 1: 8.0 s, 16: not reached; fastest at 1 laptops');
    // Fastest at 1 laptop: local:63 (7 s); at 16: local:63 (2 s) -> 3.5x.
    expect(lines).toContain('simulated, val acc 0.95, local, H chosen per class size: 1: 7.0 s [local:63], 16: 2.0 s (3.50x) [local:63]');
    // At 0.9 the fastest H differs: 1 laptop local:63 at 3.5 s, 16 laptops local:63 at 1 s.
    expect(lines).toContain('simulated, val acc 0.9, local:16: 1: 4.0 s, 16: 6.0 s (0.67x); fastest at 1 laptops');
  });
});
