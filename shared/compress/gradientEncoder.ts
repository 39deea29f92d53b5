import type { TensorPayload } from '../protocol/tensors';
import { encodeFp16 } from './fp16';
import { encodeFp32 } from './fp32';
import { encodeInt8, int8Bytes, subtractInt8 } from './int8';
import type { CompressSpec } from './spec';
import { TopkScratch, encodeTopk, subtractTopk } from './topk';

/**
 * The peer's side of gradient compression. fp32 and fp16 send each gradient
 * on its own. int8 and top-k use error feedback (Seide et al. 2014; Stich et
 * al. 2018): the residual r starts at 0; each step sends C(r + g) and keeps
 * r <- (r + g) - C(r + g). What the codec drops is delayed, never lost: the
 * sum of everything sent plus the residual equals the sum of the gradients.
 *
 * The returned payload views buffers this encoder reuses: send (copy) it
 * before the next call. Nothing is allocated per step after the first.
 */
export class GradientEncoder {
  /** Error-feedback memory; all zeros for codecs without it. */
  readonly residual: Float32Array;
  private readonly bytes: Uint8Array;
  private readonly topk: TopkScratch | null;

  constructor(
    readonly spec: CompressSpec,
    readonly size: number,
    /** Lengths of the weight tensors in flat order (int8 keeps one scale per tensor). */
    readonly segments: readonly number[] = [size],
  ) {
    const feedback = spec.name === 'int8' || spec.name === 'topk';
    this.residual = new Float32Array(feedback ? size : 0);
    this.bytes = new Uint8Array(spec.name === 'fp16' ? 2 * size : spec.name === 'int8' ? int8Bytes(size, segments.length) : 0);
    this.topk = spec.name === 'topk' ? new TopkScratch(size, Math.min(size, Math.max(size > 0 ? 1 : 0, Math.ceil(spec.fraction * size)))) : null;
  }

  get usesFeedback(): boolean {
    return this.residual.length > 0;
  }

  encode(grad: Float32Array): TensorPayload {
    const s = this.spec;
    switch (s.name) {
      case 'none':
        return encodeFp32(grad);
      case 'fp16':
        return encodeFp16(grad, this.bytes);
      case 'int8': {
        const r = this.accumulate(grad);
        const e = encodeInt8(r, this.segments, this.bytes);
        subtractInt8(e, this.segments, r);
        return e.payload;
      }
      case 'topk': {
        const r = this.accumulate(grad);
        const p = encodeTopk(r, s.fraction, this.topk ?? undefined);
        subtractTopk(p, r);
        return p;
      }
    }
  }

  /** Forget the residual (a new run, new weights). */
  reset(): void {
    this.residual.fill(0);
  }

  private accumulate(grad: Float32Array): Float32Array {
    const r = this.residual;
    for (let i = 0; i < r.length; i++) r[i]! += grad[i]!;
    return r;
  }
}
