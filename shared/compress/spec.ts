import { fail } from '../errors';
import { TensorCodec } from '../protocol/codes';

/**
 * The `--compress` setting: which codec gradients travel in.
 *
 *   none        raw float32 (4 bytes a value)
 *   fp16        IEEE half precision, saturating at +-65504 (2 bytes a value)
 *   int8        one byte a value, one float32 scale per weight tensor, with error feedback
 *   topk:F      the largest F of the values by magnitude (0 < F <= 1) as
 *               (u32 index, f32 value) pairs, with error feedback
 *
 * Error feedback: what a lossy codec dropped is kept on the peer and added to
 * its next gradient, so nothing is lost, only delayed.
 */
export type CompressSpec =
  | { name: 'none' }
  | { name: 'fp16' }
  | { name: 'int8' }
  | { name: 'topk'; fraction: number };

export const COMPRESS_HELP = 'none | fp16 | int8 | topk:FRACTION (e.g. topk:0.01)';

export function parseCompress(text: string): CompressSpec {
  const s = text.trim().toLowerCase();
  if (s === 'none' || s === 'fp32') return { name: 'none' };
  if (s === 'fp16') return { name: 'fp16' };
  if (s === 'int8') return { name: 'int8' };
  const m = /^topk:(.+)$/.exec(s);
  if (m) {
    const f = Number(m[1]);
    if (m[1]!.trim() !== '' && Number.isFinite(f) && f > 0 && f <= 1) return { name: 'topk', fraction: f };
    throw fail('CONFIG_INVALID', `compress: topk needs a fraction in (0, 1], e.g. topk:0.01; got "${m[1]}"`);
  }
  throw fail('CONFIG_INVALID', `compress: "${text}" is not one of ${COMPRESS_HELP}`);
}

export function formatCompress(c: CompressSpec): string {
  return c.name === 'topk' ? `topk:${c.fraction}` : c.name;
}

export function codecOf(c: CompressSpec): TensorCodec {
  switch (c.name) {
    case 'none':
      return TensorCodec.FP32;
    case 'fp16':
      return TensorCodec.FP16;
    case 'int8':
      return TensorCodec.INT8;
    case 'topk':
      return TensorCodec.TOPK;
  }
}

/** The spec a WELCOME's codec (and its parameter) names; unknown codecs fall back to fp32. */
export function specOf(codec: number, param?: number): CompressSpec {
  switch (codec) {
    case TensorCodec.FP16:
      return { name: 'fp16' };
    case TensorCodec.INT8:
      return { name: 'int8' };
    case TensorCodec.TOPK:
      return { name: 'topk', fraction: param !== undefined && param > 0 && param <= 1 ? param : 0.01 };
    default:
      return { name: 'none' };
  }
}

/** Payload bytes a gradient of `n` values takes in this codec (`segments` weight tensors for int8). */
export function payloadBytes(c: CompressSpec, n: number, segments = 1): number {
  switch (c.name) {
    case 'none':
      return 4 * n;
    case 'fp16':
      return 2 * n;
    case 'int8':
      return 4 + 8 * segments + n;
    case 'topk':
      return 4 + 8 * topkCount(n, c.fraction);
  }
}

/** How many values top-k keeps of `n`: at least one when there is any. */
export function topkCount(n: number, fraction: number): number {
  return n === 0 ? 0 : Math.min(n, Math.max(1, Math.ceil(fraction * n)));
}

/** The WELCOME fields that tell a peer how to send gradients. */
export function welcomeCodec(compress: string): { gradCodec: number; gradCodecParam?: number } {
  const c = parseCompress(compress);
  return c.name === 'topk' ? { gradCodec: codecOf(c), gradCodecParam: c.fraction } : { gradCodec: codecOf(c) };
}
