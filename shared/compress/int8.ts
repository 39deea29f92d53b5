import { fail } from '../errors';
import { TensorCodec } from '../protocol/codes';
import type { TensorPayload } from '../protocol/tensors';
import { outFor } from './fp16';

/**
 * Symmetric int8 with one float32 scale per segment (per weight tensor):
 * q = round(x / scale), scale = max|x| / 127, so each value is off by at most
 * scale / 2. An all-zero segment has scale 0. A segment holding NaN or
 * Infinity gets a NaN scale, so every value of it decodes to NaN and the
 * coordinator's finiteness check refuses the gradient as it would in fp32.
 *
 * Payload: u32 segment count S, f32 scale[S], u32 length[S], i8 values[n].
 */
export function int8Bytes(n: number, segments: number): number {
  return 4 + 8 * segments + n;
}

export interface Int8Encoded {
  payload: TensorPayload;
  /** The values as decoded, for error feedback (a view of `scratch` when given). */
  scales: Float32Array;
  q: Int8Array;
}

/**
 * `segments` are the lengths of consecutive weight tensors (summing to
 * values.length); one segment over everything when omitted.
 */
export function encodeInt8(values: Float32Array, segments?: readonly number[], scratch?: Uint8Array): Int8Encoded {
  const n = values.length;
  const segs = segments && segments.length > 0 ? segments : [n];
  let total = 0;
  for (const s of segs) total += s;
  if (total !== n) throw fail('FRAME_INVALID', `int8 segments cover ${total} values, the tensor has ${n}`);
  const S = segs.length;
  const size = int8Bytes(n, S);
  const bytes = scratch && scratch.byteLength >= size && scratch.byteOffset % 4 === 0 ? scratch.subarray(0, size) : new Uint8Array(size);
  const head = new Uint32Array(bytes.buffer, bytes.byteOffset, 1 + 2 * S);
  const scales = new Float32Array(bytes.buffer, bytes.byteOffset + 4, S);
  const q = new Int8Array(bytes.buffer, bytes.byteOffset + 4 + 8 * S, n);
  head[0] = S;
  let at = 0;
  for (let s = 0; s < S; s++) {
    const len = segs[s]!;
    head[1 + S + s] = len;
    let max = 0;
    let finite = true;
    for (let i = at; i < at + len; i++) {
      const a = Math.abs(values[i]!);
      if (a > max) max = a;
      else if (a !== a) finite = false;
    }
    const scale = finite && max < Infinity ? max / 127 : NaN;
    scales[s] = scale;
    if (scale > 0) {
      const inv = 1 / scale;
      for (let i = at; i < at + len; i++) q[i] = Math.round(values[i]! * inv);
    } else {
      q.fill(0, at, at + len);
    }
    at += len;
  }
  return { payload: { codec: TensorCodec.INT8, length: n, bytes }, scales, q };
}

/** Reads and checks the payload's layout; the views share its buffer where aligned. */
function layout(p: TensorPayload): { scales: Float32Array; lengths: Uint32Array; q: Int8Array } {
  const b = p.bytes.byteOffset % 4 === 0 ? p.bytes : p.bytes.slice();
  if (b.byteLength < 4) throw fail('FRAME_INVALID', `int8 tensor payload is ${b.byteLength} bytes, too short for its header`);
  const S = new Uint32Array(b.buffer, b.byteOffset, 1)[0]!;
  if (S === 0 || S > p.length + 1 || b.byteLength !== int8Bytes(p.length, S)) {
    throw fail('FRAME_INVALID', `int8 tensor of ${p.length} values in ${S} segments needs ${int8Bytes(p.length, S)} bytes, got ${b.byteLength}`);
  }
  const scales = new Float32Array(b.buffer, b.byteOffset + 4, S);
  const lengths = new Uint32Array(b.buffer, b.byteOffset + 4 + 4 * S, S);
  let total = 0;
  for (let s = 0; s < S; s++) total += lengths[s]!;
  if (total !== p.length) throw fail('FRAME_INVALID', `int8 segments cover ${total} values, the tensor has ${p.length}`);
  for (let s = 0; s < S; s++) {
    const sc = scales[s]!;
    if (sc < 0 || sc === Infinity) throw fail('FRAME_INVALID', `int8 segment ${s} has scale ${sc}`);
  }
  return { scales, lengths, q: new Int8Array(b.buffer, b.byteOffset + 4 + 8 * S, p.length) };
}

export function decodeInt8(p: TensorPayload, out?: Float32Array): Float32Array {
  const { scales, lengths, q } = layout(p);
  const dst = outFor(out, p.length);
  let at = 0;
  for (let s = 0; s < scales.length; s++) {
    const scale = scales[s]!;
    const end = at + lengths[s]!;
    for (let i = at; i < end; i++) dst[i] = q[i]! * scale;
    at = end;
  }
  return dst;
}

/**
 * dst += decode(p), each decoded value rounded to float32 first (as
 * decodeInt8 stores it), then added in float32. The coordinator's mirror and
 * every peer apply a weights delta through this one function, so their
 * copies stay bit-identical (weightsDelta.ts).
 */
export function addInt8(p: TensorPayload, dst: Float32Array): void {
  const { scales, lengths, q } = layout(p);
  let at = 0;
  for (let s = 0; s < scales.length; s++) {
    const scale = scales[s]!;
    const end = at + lengths[s]!;
    for (let i = at; i < end; i++) dst[i]! += Math.fround(q[i]! * scale);
    at = end;
  }
}

/** residual -= decode(encoded): what the wire did not carry stays behind. */
export function subtractInt8(e: Int8Encoded, segments: readonly number[] | undefined, residual: Float32Array): void {
  const segs = segments && segments.length > 0 ? segments : [residual.length];
  let at = 0;
  for (let s = 0; s < segs.length; s++) {
    const scale = e.scales[s]!;
    const end = at + segs[s]!;
    if (Number.isFinite(scale)) for (let i = at; i < end; i++) residual[i]! -= e.q[i]! * scale;
    else residual.fill(0, at, end); // a non-finite segment was sent as NaN: keeping it would poison every later step
    at = end;
  }
}
