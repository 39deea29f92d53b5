import { fail } from '../errors';
import { TensorCodec } from '../protocol/codes';
import type { TensorPayload } from '../protocol/tensors';

/**
 * The identity codec: raw little-endian float32. Decoding returns a view over
 * the payload when it is aligned, so the hot path copies nothing.
 */
export function encodeFp32(values: Float32Array): TensorPayload {
  return { codec: TensorCodec.FP32, length: values.length, bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

export function decodeFp32(p: TensorPayload): Float32Array {
  if (p.bytes.byteLength !== p.length * 4) {
    throw fail('FRAME_INVALID', `fp32 tensor of ${p.length} values needs ${p.length * 4} bytes, got ${p.bytes.byteLength}`);
  }
  if (p.bytes.byteOffset % 4 === 0) return new Float32Array(p.bytes.buffer, p.bytes.byteOffset, p.length);
  return new Float32Array(p.bytes.slice().buffer);
}
