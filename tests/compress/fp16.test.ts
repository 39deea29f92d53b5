import { describe, expect, it } from 'vitest';
import { FP16_MAX, decodeFp16, encodeFp16, fromHalfBits, toHalfBits } from '../../shared/compress';
import { decodeTensor } from '../../shared/compress';
import { TensorCodec } from '../../shared/protocol';
import { gradientLike } from './rng';

describe('fp16', () => {
  it('known bit patterns', () => {
    expect(toHalfBits(0)).toBe(0);
    expect(toHalfBits(-0)).toBe(0x8000);
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toHalfBits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie rounds to even (down)
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie rounds to even (up)
    expect(fromHalfBits(0x3555)).toBeCloseTo(0.333251953125, 12);
  });

  it('every half value round-trips exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = fromHalfBits(h);
      if (Number.isNaN(x)) continue;
      expect(toHalfBits(x)).toBe(h);
    }
  });

  it('round-trip error: relative <= 2^-11 for normals, absolute <= 2^-25 below', () => {
    const g = gradientLike(100_000, 3);
    const p = encodeFp16(g);
    expect(p.codec).toBe(TensorCodec.FP16);
    expect(p.bytes.byteLength).toBe(2 * g.length);
    const d = decodeTensor(p);
    for (let i = 0; i < g.length; i++) {
      const x = g[i]!;
      const bound = Math.abs(x) >= 2 ** -14 ? Math.abs(x) * 2 ** -11 : 2 ** -25;
      expect(Math.abs(d[i]! - x)).toBeLessThanOrEqual(bound);
    }
  });

  it('saturates finite overflow at +-65504, keeps NaN and Infinity', () => {
    const d = decodeFp16(encodeFp16(new Float32Array([1e6, -70000, 65519, NaN, Infinity, -Infinity])));
    expect([...d.subarray(0, 3)]).toEqual([FP16_MAX, -FP16_MAX, FP16_MAX]);
    expect(d[3]).toBeNaN();
    expect(d[4]).toBe(Infinity);
    expect(d[5]).toBe(-Infinity);
  });

  it('decodes into a reused buffer and refuses a payload of the wrong size', () => {
    const out = new Float32Array(4);
    const d = decodeFp16(encodeFp16(new Float32Array([1, 2, 3, 4])), out);
    expect(d).toBe(out);
    expect([...out]).toEqual([1, 2, 3, 4]);
    expect(() => decodeFp16({ codec: TensorCodec.FP16, length: 3, bytes: new Uint8Array(5) })).toThrow(/needs 6 bytes/);
  });

  it('encodes into scratch without allocating a payload', () => {
    const scratch = new Uint8Array(8);
    const p = encodeFp16(new Float32Array([0.5, 0.25]), scratch);
    expect(p.bytes.buffer).toBe(scratch.buffer);
  });
});
