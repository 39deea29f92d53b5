import { fail } from '../errors';
import { TensorCodec } from '../protocol/codes';
import type { TensorPayload } from '../protocol/tensors';

/**
 * IEEE 754 half precision, round to nearest even. Finite values beyond the
 * half range saturate at +-65504 (a gradient must not turn into Infinity on
 * the wire); NaN and Infinity stay what they are, so the coordinator's
 * finiteness check still sees them. Relative error <= 2^-11 for |x| >= 2^-14,
 * absolute error <= 2^-25 below (subnormals).
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export const FP16_MAX = 65504;

export function toHalfBits(x: number): number {
  f32[0] = x;
  const u = u32[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7bff;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) === 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
  if (h >= 0x7c00) h = 0x7bff; // rounding carried into the infinity exponent: saturate
  return sign | h;
}

let table: Float32Array | null = null;

/** All 65536 half values as float32, built once (256 KiB). */
function halfTable(): Float32Array {
  if (table) return table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = fromHalfBits(h);
  table = t;
  return t;
}

export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant !== 0 ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Encodes into `scratch` when given (it must hold 2 * n bytes); the payload is a view of it. */
export function encodeFp16(values: Float32Array, scratch?: Uint8Array): TensorPayload {
  const n = values.length;
  const bytes = scratch && scratch.byteLength >= 2 * n && scratch.byteOffset % 2 === 0 ? scratch.subarray(0, 2 * n) : new Uint8Array(2 * n);
  const h = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  for (let i = 0; i < n; i++) h[i] = toHalfBits(values[i]!);
  return { codec: TensorCodec.FP16, length: n, bytes };
}

/** Decodes into `out` (a fresh array when not given). */
export function decodeFp16(p: TensorPayload, out?: Float32Array): Float32Array {
  const h = halfBits(p);
  const dst = outFor(out, h.length);
  const t = halfTable();
  for (let i = 0; i < h.length; i++) dst[i] = t[h[i]!]!;
  return dst;
}

/** The payload's half values after checking its size; a view where aligned. */
function halfBits(p: TensorPayload): Uint16Array {
  const n = p.length;
  if (p.bytes.byteLength !== 2 * n) throw fail('FRAME_INVALID', `fp16 tensor of ${n} values needs ${2 * n} bytes, got ${p.bytes.byteLength}`);
  return p.bytes.byteOffset % 2 === 0 ? new Uint16Array(p.bytes.buffer, p.bytes.byteOffset, n) : new Uint16Array(p.bytes.slice().buffer);
}

/** dst += decode(p): half values are exact in float32, so this is the float32 sum (see addInt8). */
export function addFp16(p: TensorPayload, dst: Float32Array): void {
  const h = halfBits(p);
  const t = halfTable();
  for (let i = 0; i < h.length; i++) dst[i]! += t[h[i]!]!;
}

export function outFor(out: Float32Array | undefined, n: number): Float32Array {
  if (!out) return new Float32Array(n);
  if (out.length < n) throw fail('FRAME_INVALID', `tensor of ${n} values does not fit a buffer of ${out.length}`);
  return out.length === n ? out : out.subarray(0, n);
}
