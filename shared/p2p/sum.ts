import { fail } from '../errors';
import { decodeTensor } from '../compress';
import { TensorCodec } from '../protocol/codes';
import type { TensorPayload } from '../protocol/tensors';

/**
 * A gradient sum as it travels up the tree: the sum of per-sample gradients,
 * how many samples it covers and their loss sum (sums with counts, as on the
 * star, so adding subtrees keeps the mean exact). Wire form (LE):
 *
 *   byte 0      SUM_MAGIC (0x53, 'S')
 *   byte 1      codec of the gradient sum: 0 (or TensorCodec.FP32) f32 x length;
 *               TensorCodec.FP16 or INT8: that codec's payload (shared/compress)
 *   bytes 2..3  zero
 *   bytes 4..7  step, u32
 *   bytes 8..11 sample count, u32
 *   bytes 12..19 loss sum, f64
 *   bytes 20..  gradient sum
 *
 * The codec is the run's `--compress` on every tab-to-tab hop (fp16, int8;
 * hopCodec.ts): the sender of a hop encodes, the relay decodes and adds.
 */
export const SUM_MAGIC = 0x53;
export const SUM_HEADER_BYTES = 20;

export interface GradSum {
  step: number;
  count: number;
  lossSum: number;
  grad: Float32Array;
}

/** Hop codecs a sum may travel in (top-k sums travel as float32: see hopCodec.ts). */
const HOP_CODECS: readonly TensorCodec[] = [TensorCodec.FP16, TensorCodec.INT8];

/** With `payload` (fp16 or int8 of s.grad's length), the sum's gradient goes in that codec; else float32. */
export function encodeSum(s: GradSum, payload?: TensorPayload): Uint8Array {
  const coded = payload && payload.codec !== TensorCodec.FP32 ? payload : null;
  if (coded && (!HOP_CODECS.includes(coded.codec) || coded.length !== s.grad.length)) throw fail('FRAME_INVALID', `a p2p sum can travel in fp32, fp16 or int8 of its ${s.grad.length} values, not codec ${coded.codec} of ${coded.length}`);
  const out = new Uint8Array(SUM_HEADER_BYTES + (coded ? coded.bytes.byteLength : s.grad.byteLength));
  const view = new DataView(out.buffer);
  view.setUint8(0, SUM_MAGIC);
  if (coded) view.setUint8(1, coded.codec);
  view.setUint32(4, s.step, true);
  view.setUint32(8, s.count, true);
  view.setFloat64(12, s.lossSum, true);
  if (coded) out.set(coded.bytes, SUM_HEADER_BYTES);
  else for (let i = 0; i < s.grad.length; i++) view.setFloat32(SUM_HEADER_BYTES + 4 * i, s.grad[i] as number, true);
  return out;
}

export function decodeSum(bytes: Uint8Array, expectLength: number): GradSum {
  if (bytes.byteLength < SUM_HEADER_BYTES) throw fail('FRAME_TRUNCATED', `a p2p sum is ${bytes.byteLength} bytes; its header needs ${SUM_HEADER_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== SUM_MAGIC) throw fail('FRAME_INVALID', `a p2p sum starts with 0x${view.getUint8(0).toString(16)}, not 0x53`);
  const codec = view.getUint8(1) as TensorCodec;
  if (codec !== 0 && codec !== TensorCodec.FP32) {
    if (!HOP_CODECS.includes(codec)) throw fail('FRAME_INVALID', `a p2p sum is in codec ${codec}; tab hops carry fp32, fp16 or int8`);
    // decodeTensor checks the payload's size for `expectLength` values (FRAME_INVALID when it does not fit)
    const grad = decodeTensor({ codec, length: expectLength, bytes: bytes.subarray(SUM_HEADER_BYTES) }, new Float32Array(expectLength));
    return finite({ step: view.getUint32(4, true), count: view.getUint32(8, true), lossSum: view.getFloat64(12, true), grad });
  }
  const length = (bytes.byteLength - SUM_HEADER_BYTES) / 4;
  if (length !== expectLength) throw fail('GRAD_WRONG_LENGTH', `a p2p sum holds ${length} values; the model has ${expectLength}`);
  const grad = new Float32Array(length);
  for (let i = 0; i < length; i++) grad[i] = view.getFloat32(SUM_HEADER_BYTES + 4 * i, true);
  return finite({ step: view.getUint32(4, true), count: view.getUint32(8, true), lossSum: view.getFloat64(12, true), grad });
}

function finite(s: GradSum): GradSum {
  if (!Number.isFinite(s.lossSum) || !s.grad.every(Number.isFinite)) throw fail('GRAD_NOT_FINITE', `the p2p sum of step ${s.step} holds a NaN or infinity`);
  return s;
}

/** A relay adds a child's sum into its own (same step, same length). */
export function addInto(acc: GradSum, child: GradSum): void {
  if (child.step !== acc.step) throw fail('GRAD_STALE', `a child's sum is for step ${child.step}, the relay is at step ${acc.step}`);
  if (child.grad.length !== acc.grad.length) throw fail('GRAD_WRONG_LENGTH', `a child's sum holds ${child.grad.length} values, the relay's ${acc.grad.length}`);
  acc.count += child.count;
  acc.lossSum += child.lossSum;
  for (let i = 0; i < acc.grad.length; i++) acc.grad[i] = (acc.grad[i] as number) + (child.grad[i] as number);
}
