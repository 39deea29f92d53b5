import { fail } from '../errors';
import { int8Bytes } from './int8';

/**
 * The `--weights-codec` setting: how the coordinator's weights travel down
 * to the peers. The coordinator's master weights stay float32 whatever it
 * is; evaluation tasks always get them exactly (float32), so reported
 * accuracy is the true model's.
 *
 *   none         raw float32 (4 bytes a value)
 *   fp16         half precision of the master weights at every version
 *                (2 bytes a value), never accumulated: no drift
 *   delta:int8   (or `delta`) the difference between the new weights and the
 *                copy the peer holds, one byte a value with one float32 scale
 *                per weight tensor; what rounding drops stays in the
 *                difference of the next version (error feedback)
 *   delta:fp16   the same difference in half precision (2 bytes a value)
 *
 * A peer whose copy is not the one a delta applies to (new, reconnected,
 * skipped versions) gets full float32 weights instead.
 */
export type WeightsCodec = { name: 'none' } | { name: 'fp16' } | { name: 'delta'; quantizer: 'int8' | 'fp16' };

export const WEIGHTS_CODEC_HELP = 'none | fp16 | delta (= delta:int8) | delta:fp16';

export function parseWeightsCodec(text: string): WeightsCodec {
  const s = text.trim().toLowerCase();
  if (s === 'none' || s === 'fp32') return { name: 'none' };
  if (s === 'fp16') return { name: 'fp16' };
  if (s === 'delta' || s === 'delta:int8') return { name: 'delta', quantizer: 'int8' };
  if (s === 'delta:fp16') return { name: 'delta', quantizer: 'fp16' };
  throw fail('CONFIG_INVALID', `weightsCodec: "${text}" is not one of ${WEIGHTS_CODEC_HELP}`);
}

export function formatWeightsCodec(c: WeightsCodec): string {
  return c.name === 'delta' ? `delta:${c.quantizer}` : c.name;
}

/**
 * Weights payload bytes per training step for a peer that keeps up (`n`
 * values in `segments` weight tensors): what a delta costs once the peer
 * holds the previous version. A full (keyframe) payload is always 4 * n.
 */
export function weightsStepBytes(c: WeightsCodec, n: number, segments: number): number {
  if (c.name === 'none') return 4 * n;
  if (c.name === 'fp16' || c.quantizer === 'fp16') return 2 * n;
  return int8Bytes(n, segments);
}
