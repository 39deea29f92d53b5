import { describe, expect, it } from 'vitest';
import { decodeInt8, decodeTensor, encodeInt8, int8Bytes } from '../../shared/compress';
import { TensorCodec } from '../../shared/protocol';
import { gradientLike } from './rng';

describe('int8 with a per-tensor scale', () => {
  it('round-trip error is at most half a step (scale / 2) in every segment', () => {
    const g = gradientLike(50_000, 5);
    // Three "tensors" of very different magnitudes: each gets its own scale.
    for (let i = 0; i < 10_000; i++) g[i]! *= 100;
    for (let i = 40_000; i < 50_000; i++) g[i]! *= 1e-3;
    const segments = [10_000, 30_000, 10_000];
    const e = encodeInt8(g, segments);
    expect(e.payload.codec).toBe(TensorCodec.INT8);
    expect(e.payload.bytes.byteLength).toBe(int8Bytes(g.length, 3));
    expect(e.payload.bytes.byteLength).toBe(4 + 24 + 50_000);
    const d = decodeTensor(e.payload);
    let at = 0;
    for (const len of segments) {
      let max = 0;
      for (let i = at; i < at + len; i++) max = Math.max(max, Math.abs(g[i]!));
      const half = max / 127 / 2;
      for (let i = at; i < at + len; i++) expect(Math.abs(d[i]! - g[i]!)).toBeLessThanOrEqual(half * (1 + 1e-6) + 1e-30);
      at += len;
    }
  });

  it('the largest magnitude of a segment round-trips (to float32 rounding)', () => {
    const g = new Float32Array([0.3, -1.7, 0.01, 1.7]);
    const d = decodeInt8(encodeInt8(g).payload);
    expect(d[1]).toBeCloseTo(-1.7, 6);
    expect(d[3]).toBeCloseTo(1.7, 6);
  });

  it('an all-zero tensor has scale 0 and decodes to zeros', () => {
    const e = encodeInt8(new Float32Array(100), [60, 40]);
    expect([...e.scales]).toEqual([0, 0]);
    const d = decodeInt8(e.payload);
    expect(d.every((x) => x === 0)).toBe(true);
  });

  it('a zero segment next to a non-zero one keeps both exact enough', () => {
    const g = new Float32Array([0, 0, 0, 5, -2.5]);
    const d = decodeInt8(encodeInt8(g, [3, 2]).payload);
    expect([...d.subarray(0, 3)]).toEqual([0, 0, 0]);
    expect(d[3]).toBeCloseTo(5, 5);
    expect(d[4]).toBeCloseTo(-2.5, 1);
  });

  it('a tiny (subnormal) segment does not blow up', () => {
    const g = new Float32Array([1e-40, -1e-40, 0]);
    const d = decodeInt8(encodeInt8(g).payload);
    for (let i = 0; i < 3; i++) {
      expect(Number.isFinite(d[i]!)).toBe(true);
      expect(Math.abs(d[i]! - g[i]!)).toBeLessThanOrEqual(1e-40);
    }
  });

  it('NaN or Infinity poison their segment to NaN, so the coordinator refuses the gradient', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const g = new Float32Array([1, 2, bad, 3, 4, 5]);
      const d = decodeInt8(encodeInt8(g, [3, 3]).payload);
      expect([...d.subarray(0, 3)].every((x) => Number.isNaN(x))).toBe(true);
      expect(d[5]).toBeCloseTo(5, 5);
    }
  });

  it('refuses malformed payloads', () => {
    const p = encodeInt8(new Float32Array([1, 2, 3]), [1, 2]).payload;
    expect(() => decodeInt8({ ...p, length: 4 })).toThrow(/needs/);
    const badSegs = p.bytes.slice();
    new Uint32Array(badSegs.buffer, 12, 1)[0] = 5; // first length 1 -> 5
    expect(() => decodeInt8({ ...p, bytes: badSegs })).toThrow(/segments cover 7/);
    const negScale = p.bytes.slice();
    new Float32Array(negScale.buffer, 4, 1)[0] = -1;
    expect(() => decodeInt8({ ...p, bytes: negScale })).toThrow(/scale -1/);
    expect(() => decodeInt8({ ...p, bytes: new Uint8Array(2) })).toThrow(/too short/);
    expect(() => encodeInt8(new Float32Array(3), [1, 1])).toThrow(/segments cover 2/);
  });
});
