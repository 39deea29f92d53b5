import { fail } from '../errors';
import { TensorCodec } from '../protocol/codes';
import type { TensorPayload } from '../protocol/tensors';
import { decodeFp32 } from './fp32';

export { encodeFp32, decodeFp32 } from './fp32';

/** Decodes any tensor payload to float32 values (a view where possible). */
export function decodeTensor(p: TensorPayload): Float32Array {
  switch (p.codec) {
    case TensorCodec.FP32:
      return decodeFp32(p);
    default:
      throw fail('FRAME_INVALID', `tensor codec ${p.codec} is not supported by this build`);
  }
}
