import { describe, expect, it } from 'vitest';
import { createAggregator, parseAggregate } from '../../coordinator/aggregate/create';
import { CenteredClipAggregator, scoreWeight } from '../../coordinator/aggregate/centeredClip';
import type { Aggregator } from '../../coordinator/aggregate/aggregator';
import { isTabtrainError } from '../../shared/errors';

/** Adds [peer, gradient sum, count] triples, reduces, returns the result as plain numbers. */
function run(a: Aggregator, shards: [string, number[], number][]): { out: number[]; flagged: readonly string[] } {
  a.reset();
  for (const [id, sum, count] of shards) a.add(id, Float32Array.from(sum), count);
  const out = new Float32Array(shards[0]![1].length);
  const r = a.reduce(out);
  return { out: [...out], flagged: r.flagged };
}

/** One sample per peer: the sum is the peer's contribution. */
const peers = (...xs: number[][]): [string, number[], number][] => xs.map((x, k) => [`p${k}`, x, 1]);

describe('mean (the default): the exact per-sample mean of every shard', () => {
  it('sums over counts: a = [2,4] over 2 samples, b = [3,-3] over 1 -> [5/3, 1/3]', () => {
    const { out } = run(createAggregator('mean', 2), [['a', [2, 4], 2], ['b', [3, -3], 1]]);
    expect(out[0]).toBeCloseTo(5 / 3, 6);
    expect(out[1]).toBeCloseTo(1 / 3, 6);
  });

  it('matches float64 summation to the last bit of the float32 result', () => {
    const m = createAggregator('mean', 1);
    const { out } = run(m, [['a', [0.1], 1], ['b', [0.2], 1], ['a', [0.3], 1]]);
    const f = Math.fround;
    expect(out[0]).toBe(f((f(0.1) + f(0.2) + f(0.3)) / 3)); // float32 inputs, float64 sum, one rounding at the end
  });
});

describe('coordinate-wise median and trimmed mean: one vote per peer', () => {
  it('median of [1,10], [2,20], [100,-5] is [2, 10]; with [3,0] added, [2.5, 5]', () => {
    expect(run(createAggregator('median', 2), peers([1, 10], [2, 20], [100, -5])).out).toEqual([2, 10]);
    expect(run(createAggregator('median', 2), peers([1, 10], [2, 20], [100, -5], [3, 0])).out).toEqual([2.5, 5]);
  });

  it('trimmed:1 of 1,2,3,4,100 drops 1 and 100: (2+3+4)/3 = 3', () => {
    expect(run(createAggregator('trimmed:1', 1), peers([1], [2], [3], [4], [100])).out).toEqual([3]);
  });

  it("a peer's shards are one contribution: a's [2] and [4] over 2 samples each give x_a = 1.5", () => {
    // x = a 1.5, b 3, c 5 -> median 3; the mean of the three would be (1.5+3+5)/3.
    expect(run(createAggregator('median', 1), [['a', [2], 2], ['b', [3], 1], ['a', [4], 2], ['c', [5], 1]]).out).toEqual([3]);
  });

  it('trimmed:F never trims everything: trimmed:5 of 3 peers keeps the middle one', () => {
    expect(run(createAggregator('trimmed:5', 1), peers([1], [7], [50])).out).toEqual([7]);
  });
});

describe('multi-Krum', () => {
  it('krum:1 of 0,1,2,3,100: scores (2 nearest) 5,2,2,5,19013 -> averages the best 4: 1.5, flags the outlier', () => {
    const r = run(createAggregator('krum:1', 1), peers([0], [1], [2], [3], [100]));
    expect(r.out).toEqual([1.5]);
    expect(r.flagged).toEqual(['p4']);
  });

  it('weights the chosen by sample count; krum:0 is the exact mean', () => {
    const r = run(createAggregator('krum:0', 1), [['a', [3], 3], ['b', [5], 1]]);
    expect(r.out).toEqual([2]); // (3 + 5) / 4
  });
});

describe('centered clipping', () => {
  it('tau 1 from center 0, x = 0.5, 0.5, 10: v = (0.5 + 0.5 + 1)/3 = 2/3; the next step starts there: 2/3 + (-1/6 - 1/6 + 1)/3 = 8/9', () => {
    const a = new CenteredClipAggregator(1, 1);
    const r = run(a, peers([0.5], [0.5], [10]));
    expect(r.out[0]).toBeCloseTo(2 / 3, 6);
    expect(r.flagged).toEqual(['p2']);
    // Same inputs again: each peer's momentum 0.9 m + 0.1 x is still x.
    expect(run(a, peers([0.5], [0.5], [10])).out[0]).toBeCloseTo(8 / 9, 6);
  });

  it("keeps each peer's momentum: a peer at 1 then 0 contributes 0.9 * 1 + 0.1 * 0 = 0.9 at the second step", () => {
    const a = new CenteredClipAggregator(1, 1e9, 0.9);
    run(a, peers([1]));
    expect(run(a, peers([0])).out[0]).toBeCloseTo(0.9, 6);
  });

  it('with nothing clipped it is the exact weighted mean: a = [2,4]/2, b = [3,-3]/1 -> [5/3, 1/3]', () => {
    const { out, flagged } = run(new CenteredClipAggregator(2, 1e9), [['a', [2, 4], 2], ['b', [3, -3], 1]]); // first step: momentum = x
    expect(out[0]).toBeCloseTo(5 / 3, 6);
    expect(out[1]).toBeCloseTo(1 / 3, 6);
    expect(flagged).toEqual([]);
  });

  it('adaptive tau is the median of recent distances: x 1, 1, 1, 1, -1000 from 0 -> tau 1, result (4 - 1)/5 = 0.6 (the mean: -199.2)', () => {
    const a = new CenteredClipAggregator(1, null, 0, false);
    const r = run(a, peers([1], [1], [1], [1], [-1000]));
    expect(a.radius()).toBe(1);
    expect(r.flagged).toEqual(['p4']);
    expect(r.out[0]).toBeCloseTo(0.6, 6);
  });

  it('scored (the default `clip`), the same outlier at its first step (its momentum is its value, 1000 radii out) weighs 4/1000^2: result 4/5 - 0.0008', () => {
    const a = createAggregator('clip', 1) as CenteredClipAggregator;
    const r = run(a, peers([1], [1], [1], [1], [-1000]));
    expect(r.flagged).toEqual(['p4']);
    expect(r.out[0]).toBeCloseTo(0.8 - ((4 / 1000 ** 2) * 1000) / 5, 6);
  });
});

describe('adaptive clip scores each peer by its history (momentum 0.9)', () => {
  /** 60 steps: four honest peers at 0 or 2 (alternating, mean 1 every step), one at -100 every step; the last result. */
  function persistent(a: CenteredClipAggregator): number {
    const out = new Float32Array(1);
    for (let t = 0; t < 60; t++) {
      a.reset();
      for (let k = 0; k < 4; k++) a.add(`h${k}`, Float32Array.of((t + k) % 2 ? 2 : 0), 1);
      a.add('bad', Float32Array.of(-100), 1);
      a.reduce(out);
    }
    return out[0]!;
  }

  it('without scores a persistent attacker clipped at tau = 1 holds the result at 2/3, a bias of 1/3; with them it stays within 0.06 of the honest mean 1', () => {
    expect(persistent(new CenteredClipAggregator(1, null, 0, false))).toBeCloseTo(2 / 3, 4);
    const scored = persistent(createAggregator('clip', 1) as CenteredClipAggregator);
    expect(scored).toBeGreaterThan(0.94);
    expect(scored).toBeLessThan(1.06);
  });

  it('a history far outside every honest one redescends: 1 inside the radius, 1/r up to R radii, R/r^2 beyond', () => {
    expect(scoreWeight(0.5, 4)).toBe(1);
    expect(scoreWeight(2, 4)).toBe(0.5);
    expect(scoreWeight(4, 4)).toBe(0.25);
    expect(scoreWeight(8, 4)).toBe(4 / 64); // the pull r * w falls from 1 at 4 radii to 0.5 at 8
    expect(scoreWeight(Number.NaN, 4)).toBe(1);
  });

  it('a persistent attacker 1000x out ends with less pull than one 100x out (constant pull would be a constant bias)', () => {
    const last = (bad: number): number => {
      const a = createAggregator('clip', 1) as CenteredClipAggregator;
      const out = new Float32Array(1);
      for (let t = 0; t < 60; t++) {
        a.reset();
        for (let k = 0; k < 4; k++) a.add(`h${k}`, Float32Array.of((t + k) % 2 ? 2 : 0), 1);
        a.add('bad', Float32Array.of(bad), 1);
        a.reduce(out);
      }
      return Math.abs(out[0]! - 1);
    };
    const near = last(-100);
    const far = last(-1000);
    expect(far).toBeLessThan(near);
    expect(far).toBeLessThan(0.01);
  });

  it('an attacker that alternates to keep its momentum honest-looking is still held to tau by the raw clip', () => {
    const a = createAggregator('clip', 1) as CenteredClipAggregator;
    const out = new Float32Array(1);
    for (let t = 0; t < 40; t++) {
      a.reset();
      for (let k = 0; k < 4; k++) a.add(`h${k}`, Float32Array.of(1), 1);
      a.add('bad', Float32Array.of(t % 2 ? 1000 : -998), 1); // its momentum hovers near 1
      a.reduce(out);
      // Its pull is at most tau / 5 a step and the honest ones take back 4/5 of any offset: |v - 1| <= tau / 4 (the mean: 1 +- 200).
      if (t > 5) expect(Math.abs(out[0]! - 1)).toBeLessThanOrEqual(a.radius() / 4 + 1e-6);
    }
  });
});

describe('--aggregate parsing', () => {
  it.each([
    ['mean', { rule: 'mean' }],
    ['clip', { rule: 'clip', tau: null }],
    ['clip:2.5', { rule: 'clip', tau: 2.5 }],
    ['median', { rule: 'median' }],
    ['trimmed:1', { rule: 'trimmed', f: 1 }],
    ['krum:2', { rule: 'krum', f: 2 }],
  ])('%s', (s, spec) => expect(parseAggregate(s)).toEqual(spec));

  it.each(['avg', 'trimmed', 'krum:-1', 'krum:0.5', 'clip:0', 'median:3', 'krum:1:2'])('refuses %s with the accepted forms', (s) => {
    try {
      parseAggregate(s);
      expect.unreachable();
    } catch (e) {
      expect(isTabtrainError(e) && e.code).toBe('CONFIG_INVALID');
      expect((e as Error).message).toContain('krum:F');
    }
  });
});
