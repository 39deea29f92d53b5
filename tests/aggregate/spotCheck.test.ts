import { describe, expect, it } from 'vitest';
import { SpotChecker, relativeDistance } from '../../coordinator/aggregate/spotCheck';

const g = (...v: number[]): Float32Array => Float32Array.from(v);

describe('relative distance', () => {
  it('||a - b|| / max(||a||, ||b||): [3,4] vs [3,3.95] is 0.05/5 = 0.01; a sign flip is 2', () => {
    expect(relativeDistance(g(3, 4), g(3, 3.95))).toBeCloseTo(0.01, 5);
    expect(relativeDistance(g(3, 4), g(-3, -4))).toBe(2);
    expect(relativeDistance(g(0, 0), g(0, 0))).toBe(0);
    expect(relativeDistance(g(1, Number.NaN), g(1, 1))).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('spot checks', () => {
  it('picks about the asked fraction of shards, the same ones on every replay', () => {
    const s = new SpotChecker({ fraction: 0.05, seed: 7 });
    let n = 0;
    for (let step = 0; step < 2000; step++) for (let shard = 0; shard < 5; shard++) n += s.picks(step, shard) ? 1 : 0;
    expect(n / 10_000).toBeGreaterThan(0.04);
    expect(n / 10_000).toBeLessThan(0.06);
    const again = new SpotChecker({ fraction: 0.05, seed: 7 });
    expect([...Array(200).keys()].map((k) => again.picks(k, 1))).toEqual([...Array(200).keys()].map((k) => s.picks(k, 1)));
    expect(new SpotChecker({ fraction: 0 }).picks(1, 1)).toBe(false);
  });

  it('two honest results within tolerance both pass', () => {
    const s = new SpotChecker({ fraction: 1, tolerance: 1e-2 });
    expect(s.settle([{ peerId: 'a', grad: g(3, 4) }, { peerId: 'b', grad: g(3, 4.0001) }]).kind).toBe('agree');
    expect(s.trust('a')).toMatchObject({ passed: 1, failed: 0, quarantined: false });
  });

  it('a sign-flipper is caught by the referee, takes the strike, and is quarantined at the third with its suspect samples', () => {
    const s = new SpotChecker({ fraction: 1, tolerance: 1e-2, strikes: 3 });
    const honest = g(3, 4);
    s.accepted('bad', 10);
    s.accepted('bad', 10);
    const verdicts = [];
    for (let i = 0; i < 3; i++) {
      const pair = [{ peerId: 'bad', grad: g(-3, -4) }, { peerId: `h${i}`, grad: honest }];
      expect(s.settle(pair).kind).toBe('referee');
      verdicts.push(s.settle([...pair, { peerId: 'ref', grad: g(3.00001, 4) }]));
    }
    expect(verdicts.map((v) => (v.kind === 'settled' ? v.failed : []))).toEqual([['bad'], ['bad'], ['bad']]);
    expect(verdicts.map((v) => (v.kind === 'settled' ? v.quarantined : []))).toEqual([[], [], ['bad']]);
    expect(s.trust('bad')).toMatchObject({ failed: 3, passed: 0, quarantined: true, acceptedSinceLastPass: 20 });
    expect(s.trust('bad').reason).toContain('3 spot checks');
    // Honest partners passed every time they were refereed.
    expect(s.trust('h0')).toMatchObject({ passed: 1, failed: 0, quarantined: false });
    expect(s.trust('ref').passed).toBe(3);
  });

  it('an honest peer that had bad luck is not quarantined while it passes more than it fails', () => {
    const s = new SpotChecker({ fraction: 1, strikes: 3 });
    for (let i = 0; i < 4; i++) s.settle([{ peerId: 'h', grad: g(1, 1) }, { peerId: `o${i}`, grad: g(1, 1) }]);
    for (let i = 0; i < 3; i++) s.settle([{ peerId: 'h', grad: g(1, 1) }, { peerId: 'x', grad: g(5, 5) }, { peerId: 'y', grad: g(5, 5) }]);
    expect(s.trust('h')).toMatchObject({ passed: 4, failed: 3, quarantined: false });
  });

  it('three-way disagreement blames nobody', () => {
    const s = new SpotChecker({ fraction: 1 });
    expect(s.settle([{ peerId: 'a', grad: g(1, 0) }, { peerId: 'b', grad: g(0, 1) }, { peerId: 'c', grad: g(-1, 0) }]).kind).toBe('undecided');
    expect(s.trust('a').failed).toBe(0);
  });
});
