import { fail } from '../errors';
import { TensorCodec } from '../protocol/codes';
import type { TensorPayload } from '../protocol/tensors';
import { decodeFp16 } from './fp16';
import { decodeFp32 } from './fp32';
import { decodeInt8 } from './int8';
import { decodeTopk } from './topk';

export { encodeFp32, decodeFp32 } from './fp32';
export { encodeFp16, decodeFp16, addFp16, toHalfBits, fromHalfBits, FP16_MAX } from './fp16';
export { encodeInt8, decodeInt8, addInt8, int8Bytes } from './int8';
export { encodeTopk, decodeTopk, kthLargest, topkBytes, TopkScratch } from './topk';
export { GradientEncoder } from './gradientEncoder';
export { parseWeightsCodec, formatWeightsCodec, weightsStepBytes, WEIGHTS_CODEC_HELP, type WeightsCodec } from './weightsCodec';
export { addDelta } from './weightsDelta';
export { WeightsReceiver } from './weightsReceiver';
export { parseCompress, formatCompress, codecOf, specOf, welcomeCodec, payloadBytes, topkCount, COMPRESS_HELP, type CompressSpec } from './spec';

/** The codecs this build can decode, for HELLO. */
export const SUPPORTED_CODECS: number[] = [TensorCodec.FP32, TensorCodec.FP16, TensorCodec.INT8, TensorCodec.TOPK];

/**
 * Decodes any tensor payload to float32 values. fp32 comes back as a view of
 * the payload (no copy); the other codecs decode into `out` when given (a
 * buffer the caller reuses every step), else into a fresh array.
 */
export function decodeTensor(p: TensorPayload, out?: Float32Array): Float32Array {
  switch (p.codec) {
    case TensorCodec.FP32:
      return decodeFp32(p);
    case TensorCodec.FP16:
      return decodeFp16(p, out);
    case TensorCodec.INT8:
      return decodeInt8(p, out);
    case TensorCodec.TOPK:
      return decodeTopk(p, out);
    default:
      throw fail('FRAME_INVALID', `tensor codec ${p.codec} is not supported by this build`);
  }
}
