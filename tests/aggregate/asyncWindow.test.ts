import { describe, expect, it } from 'vitest';
import { createAggregator } from '../../coordinator/aggregate/create';
import type { Aggregator } from '../../coordinator/aggregate/aggregator';

/** One async update: one peer's gradient sum over `count` samples. */
function update(a: Aggregator, peer: string, sum: number[], count = 1): { out: number[]; flagged: readonly string[] } {
  a.reset();
  a.add(peer, Float32Array.from(sum), count);
  const out = new Float32Array(sum.length);
  const r = a.reduce(out);
  return { out: [...out], flagged: r.flagged };
}

describe('robust rules in async mode: one contribution per update, judged against a window of recent ones', () => {
  it('median: until three peers have contributed nothing is applied (nothing to judge against); the third is judged', () => {
    const a = createAggregator('median', 1, 'async');
    expect(update(a, 'a', [-100])).toEqual({ out: [0], flagged: ['a'] });
    expect(update(a, 'b', [3], 2).out).toEqual([0]); // a sum of 3 over 2 samples
    // window a -100, b 1.5, c 1: median 1; distances 101, 0.5, 0 -> tau 0.5: c passes as sent.
    expect(update(a, 'c', [1])).toEqual({ out: [1], flagged: [] });
  });

  it('a fleet of fewer than three peers cannot be judged: after 8 updates contributions pass as sent', () => {
    const a = createAggregator('krum:1', 1, 'async');
    for (let k = 0; k < 8; k++) expect(update(a, k % 2 ? 'a' : 'b', [2]).out).toEqual([0]);
    expect(update(a, 'a', [2]).out).toEqual([2]);
  });

  it('median: an attacker at -100 among 1, 1.2, 0.8, 1.1 is applied as 0.8 (centre 1, tau 0.2), not -100', () => {
    const a = createAggregator('median', 1, 'async');
    for (const [p, x] of [['a', 1], ['b', 1.2], ['c', 0.8], ['d', 1.1]] as const) update(a, p, [x]);
    // window a 1, b 1.2, c 0.8, d 1.1, e -100: median 1; distances 0, 0.2, 0.2, 0.1, 101 -> tau 0.2.
    const r = update(a, 'e', [-100]);
    expect(r.out[0]).toBeCloseTo(0.8, 6);
    expect(r.flagged).toEqual(['e']);
  });

  it('an honest contribution within tau of the centre is applied exactly as sent', () => {
    const a = createAggregator('krum:1', 2, 'async');
    for (const [p, x] of [['a', [1, 1]], ['b', [1.2, 0.9]], ['c', [0.8, 1.1]], ['d', [1.1, 1]]] as const) update(a, p, [...x]);
    const r = update(a, 'a', [1.05, 1]);
    expect(r.out[0]).toBeCloseTo(1.05, 6);
    expect(r.out[1]).toBeCloseTo(1, 6);
    expect(r.flagged).toEqual([]);
  });

  it('one vote per peer: a peer sending again replaces its own entry, so it cannot fill the window', () => {
    const a = createAggregator('trimmed:1', 1, 'async');
    for (const [p, x] of [['a', 1], ['b', 1.2], ['c', 0.8]] as const) update(a, p, [x]);
    // e sends -100 three times: the window holds a, b, c and one e; trimmed:1 of 1, 1.2, 0.8, -100 = (0.8 + 1)/2 = 0.9.
    let last = 0;
    for (let k = 0; k < 3; k++) last = update(a, 'e', [-100]).out[0]!;
    // distances to 0.9: 0.1, 0.3, 0.1, 100.9 -> tau 0.2 -> 0.9 - 0.2
    expect(last).toBeCloseTo(0.7, 6);
  });

  it('clip too: the -100 among 1, 1.2, 0.8, 1.1 moves the update by at most tau from the window\'s clip', () => {
    const a = createAggregator('clip', 1, 'async');
    for (const [p, x] of [['a', 1], ['b', 1.2], ['c', 0.8], ['d', 1.1]] as const) update(a, p, [x]);
    const r = update(a, 'e', [-100]);
    expect(r.flagged).toEqual(['e']);
    expect(r.out[0]).toBeGreaterThan(0);
    expect(r.out[0]).toBeLessThan(1.2);
  });

  it('mean is not windowed in async mode: the update is the contribution itself', () => {
    const a = createAggregator('mean', 1, 'async');
    for (const [p, x] of [['a', 1], ['b', 1.2], ['c', 0.8]] as const) update(a, p, [x]);
    expect(update(a, 'e', [-100]).out).toEqual([-100]);
  });
});
