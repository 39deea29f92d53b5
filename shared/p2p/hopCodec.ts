import { GradientEncoder, decodeTensor } from '../compress';
import type { CompressSpec } from '../compress/spec';
import { encodeTreeSum, type CoveredSum } from './treeSum';

/**
 * The run's `--compress` codec on one tab-to-tab hop of a reduction tree.
 * The sender of a hop (a leaf, or a relay with its children's sums added to
 * its own) encodes its subtree's sum; the receiving relay decodes it
 * (treeSum.ts) and adds it to its own in float32, and encodes again for its
 * own hop up.
 *
 * - fp16: each hop rounds its sum to half precision (no memory).
 * - int8: error feedback per hop, as on the star: the residual belongs to
 *   the sender of the hop. A tab keeps one residual for the hop it sends up
 *   a data channel (this encoder, in the page) and the session keeps its own
 *   for what it sends the coordinator (GRAD on the star, or RELAYED as a
 *   root): what a hop's codec drops is carried into that tab's next sum up
 *   the same kind of hop, so nothing is lost, only delayed.
 * - none and top-k: hops carry float32. A top-k sum of k children holds up
 *   to k times as many nonzero values as one child's (the children's top
 *   indices differ), so a relay would either drop most of its children's
 *   values or send a sum that is no longer sparse; top-k applies only on the
 *   root's hop to the coordinator.
 *
 * `codecErr` is ||sent - sum||₂, the rounding this hop added (including the
 * residual it carried in and left behind), which the tab reports in its
 * digest so the coordinator's check allows exactly that (digest.ts).
 */
export interface HopSend {
  bytes: Uint8Array;
  /** The gradient sum as the receiver decodes it. */
  sent: Float32Array;
  codecErr: number;
}

export class HopEncoder {
  private readonly enc: GradientEncoder | null;

  constructor(spec: CompressSpec, size: number, segments: readonly number[] = [size]) {
    this.enc = spec.name === 'fp16' || spec.name === 'int8' ? new GradientEncoder(spec, size, segments) : null;
  }

  encode(s: CoveredSum): HopSend {
    if (!this.enc) return { bytes: encodeTreeSum(s), sent: s.sum.grad, codecErr: 0 };
    const payload = this.enc.encode(s.sum.grad);
    const bytes = encodeTreeSum(s, payload); // copies the encoder's scratch bytes
    const sent = decodeTensor(payload, new Float32Array(s.sum.grad.length));
    return { bytes, sent, codecErr: l2Diff(sent, s.sum.grad) };
  }
}

/** ||a - b||₂ in float64. */
export function l2Diff(a: Float32Array, b: Float32Array): number {
  let sq = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    sq += d * d;
  }
  return Math.sqrt(sq);
}
