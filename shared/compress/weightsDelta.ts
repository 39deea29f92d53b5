import { fail } from '../errors';
import { TensorCodec } from '../protocol/codes';
import type { TensorPayload } from '../protocol/tensors';
import { addFp16 } from './fp16';
import { addInt8 } from './int8';

/**
 * M <- M + decode(D): the one place a weights delta is applied, on the
 * coordinator's mirror of what peers hold and on every peer. Both run this
 * same float32 arithmetic, so after any number of deltas the peers' copies
 * and the mirror are bit-identical, and the coordinator can measure the
 * next delta against exactly what the peers hold (error feedback: the
 * rounding of one delta is carried by the next, never accumulated).
 */
export function addDelta(d: TensorPayload, weights: Float32Array): void {
  if (d.length !== weights.length) throw fail('FRAME_INVALID', `weights delta has ${d.length} values, the weights have ${weights.length}`);
  switch (d.codec) {
    case TensorCodec.INT8:
      return addInt8(d, weights);
    case TensorCodec.FP16:
      return addFp16(d, weights);
    default:
      throw fail('FRAME_INVALID', `a weights delta is int8 or fp16 (codec ${TensorCodec.INT8} or ${TensorCodec.FP16}), not codec ${d.codec}`);
  }
}
