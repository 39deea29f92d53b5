import { describe, expect, it } from 'vitest';
import { Rng, deriveSeed } from '../../shared/data/rng';
import { epochOrder, shuffleInPlace } from '../../shared/data/shuffle';

const isPermutation = (a: Uint32Array, n: number): boolean => a.length === n && [...a].sort((x, y) => x - y).every((v, i) => v === i);

describe('Rng', () => {
  it('is reproducible from its u32 state', () => {
    const a = new Rng(42);
    a.nextU32();
    const saved = a.state;
    const next = [a.nextFloat(), a.nextInt(10), a.nextGaussian()];
    const b = new Rng(0);
    b.state = saved;
    expect([b.nextFloat(), b.nextInt(10), b.nextGaussian()]).toEqual(next);
  });

  it('draws in range with the right moments', () => {
    const r = new Rng(7);
    const n = 20000;
    let sum = 0;
    let sq = 0;
    const counts = new Array(5).fill(0);
    for (let i = 0; i < n; i++) {
      const f = r.nextFloat();
      expect(f >= 0 && f < 1).toBe(true);
      counts[r.nextInt(5)]++;
      const g = r.nextGaussian();
      sum += g;
      sq += g * g;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.05);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.05);
    for (const c of counts) expect(Math.abs(c - n / 5)).toBeLessThan(n / 5 / 10);
  });

  it('deriveSeed separates streams by label and order of parts', () => {
    const seeds = new Set([deriveSeed(1), deriveSeed(1, 'epoch', 0), deriveSeed(1, 'epoch', 1), deriveSeed(2, 'epoch', 0), deriveSeed(1, 0, 'epoch'), deriveSeed(1, 'split')]);
    expect(seeds.size).toBe(6);
    expect(deriveSeed(1, 'epoch', 3)).toBe(deriveSeed(1, 'epoch', 3));
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });
});

describe('shuffle', () => {
  it('shuffleInPlace keeps the elements', () => {
    const a = Array.from({ length: 50 }, (_, i) => `x${i}`);
    shuffleInPlace(a, new Rng(3));
    expect([...a].sort()).toEqual(Array.from({ length: 50 }, (_, i) => `x${i}`).sort());
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => `x${i}`));
  });

  it('epochOrder is a permutation that depends only on (seed, epoch)', () => {
    const e0 = epochOrder(5, 0, 1000);
    expect(isPermutation(e0, 1000)).toBe(true);
    expect(epochOrder(5, 0, 1000)).toEqual(e0);
    const e1 = epochOrder(5, 1, 1000);
    expect(isPermutation(e1, 1000)).toBe(true);
    expect(e1).not.toEqual(e0);
    expect(epochOrder(6, 0, 1000)).not.toEqual(e0);
    expect(epochOrder(5, 0, 0)).toEqual(new Uint32Array(0));
    expect(epochOrder(5, 0, 1)).toEqual(new Uint32Array([0]));
  });

  it('a sample lands in every position equally often across epochs', () => {
    // over 2000 epochs, sample 0 lands in each of 4 slots ~500 times
    const slots = [0, 0, 0, 0];
    for (let e = 0; e < 2000; e++) slots[epochOrder(1, e, 4).indexOf(0)]!++;
    for (const s of slots) expect(Math.abs(s - 500)).toBeLessThan(90);
  });
});
