import { describe, expect, it } from 'vitest';
import { TopkScratch, decodeTopk, encodeTopk, kthLargest, topkBytes, topkCount } from '../../shared/compress';
import { TensorCodec } from '../../shared/protocol';
import { gradientLike } from './rng';

describe('top-k', () => {
  it('kthLargest agrees with a sort', () => {
    const g = gradientLike(10_001, 9).map(Math.abs);
    const sorted = [...g].sort((a, b) => b - a);
    for (const k of [1, 2, 17, 100, 5000, 10_001]) expect(kthLargest(g.slice(), k)).toBe(sorted[k - 1]);
    expect(kthLargest(new Float32Array([3, 3, 3, 3]), 2)).toBe(3);
  });

  it('keeps exactly the k largest magnitudes, in index order, and zeros the rest', () => {
    const g = gradientLike(20_000, 11);
    const k = topkCount(g.length, 0.01);
    expect(k).toBe(200);
    const p = encodeTopk(g, 0.01);
    expect(p.codec).toBe(TensorCodec.TOPK);
    expect(p.bytes.byteLength).toBe(topkBytes(k));
    const d = decodeTopk(p);
    const threshold = [...g].map(Math.abs).sort((a, b) => b - a)[k - 1]!;
    let kept = 0;
    for (let i = 0; i < g.length; i++) {
      if (d[i] !== 0) {
        kept++;
        expect(d[i]).toBe(g[i]);
        expect(Math.abs(g[i]!)).toBeGreaterThanOrEqual(threshold);
      } else expect(Math.abs(g[i]!)).toBeLessThanOrEqual(threshold);
    }
    expect(kept).toBe(k);
  });

  it('ties at the threshold fill k exactly', () => {
    const g = new Float32Array([1, -1, 1, 1, 0.5, 2]);
    const d = decodeTopk(encodeTopk(g, 0.5)); // k = 3: 2, then two of the 1s
    expect([...d]).toEqual([1, -1, 0, 0, 0, 2]);
  });

  it('fraction 1 is lossless; tiny fractions keep at least one value', () => {
    const g = gradientLike(1000, 2);
    expect([...decodeTopk(encodeTopk(g, 1))]).toEqual([...g]);
    const one = decodeTopk(encodeTopk(g, 1e-9));
    expect(one.filter((x) => x !== 0).length).toBe(1);
  });

  it('NaN and Infinity are always among the kept values', () => {
    const g = gradientLike(1000, 4);
    g[10] = NaN;
    g[500] = -Infinity;
    const d = decodeTopk(encodeTopk(g, 0.002));
    expect(d[10]).toBeNaN();
    expect(d[500]).toBe(-Infinity);
  });

  it('reuses its scratch', () => {
    const s = new TopkScratch(1000, 10);
    const p = encodeTopk(gradientLike(1000, 1), 0.01, s);
    expect(p.bytes).toBe(s.bytes);
  });

  it('refuses malformed payloads', () => {
    const p = encodeTopk(new Float32Array([5, 1, 4, 2]), 0.5);
    const swapped = p.bytes.slice();
    const idx = new Uint32Array(swapped.buffer, 4, 2);
    [idx[0], idx[1]] = [idx[1]!, idx[0]!];
    expect(() => decodeTopk({ ...p, bytes: swapped })).toThrow(/out of order/);
    const far = p.bytes.slice();
    new Uint32Array(far.buffer, 8, 1)[0] = 99;
    expect(() => decodeTopk({ ...p, bytes: far })).toThrow(/past 4/);
    expect(() => decodeTopk({ ...p, length: 1 })).toThrow(/k = 2/);
  });
});
