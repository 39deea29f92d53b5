import { describe, expect, it } from 'vitest';
import { balancedSizes, makespanMs, steadySizes } from '../../coordinator/round/split';
import { expectedMs, observe, speedModel } from '../../coordinator/round/speed';

describe('shard sizing by cost model', () => {
  it('equal peers get equal shards', () => {
    const m = speedModel(1000, 50);
    expect(balancedSizes(128, [m, m])).toEqual([64, 64]);
  });

  it('sizes sum to the global batch and peers finish together', () => {
    const fast = speedModel(2000, 20);
    const slow = speedModel(500, 60);
    const sizes = balancedSizes(256, [fast, slow]);
    expect(sizes[0]! + sizes[1]!).toBe(256);
    expect(sizes[0]!).toBeGreaterThan(sizes[1]!);
    const t = sizes.map((n, i) => expectedMs([fast, slow][i]!, n));
    expect(Math.abs(t[0]! - t[1]!)).toBeLessThan(4);
  });

  it('a peer whose overhead alone exceeds the step still gets a small floor share, so it keeps being measured', () => {
    expect(balancedSizes(128, [speedModel(1000, 0), speedModel(1000, 500)])).toEqual([120, 8]);
    expect(balancedSizes(8, [speedModel(1000, 0), speedModel(1000, 500)])).toEqual([7, 1]);
    const sizes = balancedSizes(256, [speedModel(2000, 10), speedModel(2000, 10), speedModel(10, 900)]);
    expect(sizes[2]).toBe(8);
    expect(sizes[0]! + sizes[1]! + sizes[2]!).toBe(256);
  });

  it('a small shard no longer reads as a slow peer: the overhead is kept apart', () => {
    let m = speedModel(1000, 100); // 1 ms/sample + 100 ms
    for (let i = 0; i < 20; i++) m = observe(m, 16, 116);
    expect(m.msPerSample).toBeCloseTo(1, 1);
    const naive = (1000 * 16) / 116; // what samples/ms alone would conclude
    expect(1000 / m.msPerSample).toBeGreaterThan(5 * naive);
  });

  it('keeps last step’s sizes while the speeds only wobble, so a tab compiles no new shard shape', () => {
    const a = speedModel(1000, 20);
    const b = speedModel(1100, 20); // 10% faster: the fresh cut would move a few samples
    expect(balancedSizes(128, [a, b])).not.toEqual([64, 64]);
    expect(steadySizes(128, [a, b], [64, 64])).toEqual([64, 64]);
  });

  it('recuts when the fresh cut finishes clearly sooner, and for a peer new to the cut', () => {
    const a = speedModel(1000, 20);
    const b = speedModel(1100, 20);
    const slow = speedModel(300, 20); // a tab that slowed down 3x
    const fresh = balancedSizes(128, [a, slow]);
    expect(steadySizes(128, [a, slow], [64, 64])).toEqual(fresh);
    expect(makespanMs(fresh, [a, slow])).toBeLessThan(makespanMs([64, 64], [a, slow]) / 1.2);
    // A peer new to the cut, or a different total (the last batch of an epoch): equal shares (what warm-up compiled) while they are
    // within the gain of the balanced cut, else the balanced cut.
    expect(steadySizes(128, [a, b, a], [64, 64, undefined])).toEqual([43, 43, 42]);
    expect(steadySizes(100, [a, b], [64, 64])).toEqual([50, 50]);
    expect(steadySizes(128, [a, slow], [undefined, undefined])).toEqual(fresh);
  });
});
