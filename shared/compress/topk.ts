import { fail } from '../errors';
import { TensorCodec } from '../protocol/codes';
import type { TensorPayload } from '../protocol/tensors';
import { outFor } from './fp16';
import { topkCount } from './spec';

/**
 * Top-k sparsification: the k values largest in magnitude as (index, value)
 * pairs, indices strictly increasing; every other value decodes to 0.
 * Selection is O(n): a quickselect finds the k-th magnitude, a pass collects.
 * Non-finite values are selected first (NaN and Infinity sort above every
 * number), so a diverged gradient still reaches the coordinator's check.
 *
 * Payload: u32 k, u32 index[k], f32 value[k].
 */
export function topkBytes(k: number): number {
  return 4 + 8 * k;
}

/** Reusable work space for one tensor size, so encoding allocates nothing per step. */
export class TopkScratch {
  readonly mags: Float32Array;
  bytes: Uint8Array;
  constructor(readonly n: number, readonly k: number) {
    this.mags = new Float32Array(n);
    this.bytes = new Uint8Array(topkBytes(k));
  }
}

export function encodeTopk(values: Float32Array, fraction: number, scratch?: TopkScratch): TensorPayload {
  const n = values.length;
  const k = topkCount(n, fraction);
  const s = scratch && scratch.n === n && scratch.k === k ? scratch : new TopkScratch(n, k);
  const mags = s.mags;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(values[i]!);
    mags[i] = a === a ? a : Infinity;
  }
  const threshold = k > 0 ? kthLargest(mags, k) : Infinity;
  const head = new Uint32Array(s.bytes.buffer, 0, 1 + k);
  const vals = new Float32Array(s.bytes.buffer, 4 + 4 * k, k);
  head[0] = k;
  // Values strictly above the threshold all go; ties at it fill what is left, in index order.
  let above = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(values[i]!);
    if (a > threshold || a !== a) above++;
  }
  let ties = k - above;
  let j = 0;
  for (let i = 0; i < n && j < k; i++) {
    const v = values[i]!;
    const a = Math.abs(v);
    if (a > threshold || a !== a || (a === threshold && ties-- > 0)) {
      head[1 + j] = i;
      vals[j] = v;
      j++;
    }
  }
  return { codec: TensorCodec.TOPK, length: n, bytes: s.bytes };
}

/** The k-th largest of `a` (1-based); reorders `a`. Hoare-style quickselect with median-of-three. */
export function kthLargest(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1; // index in descending order
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x > y ? (y > z ? y : x > z ? z : x) : x > z ? x : y > z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target]!;
  }
  return a[target]!;
}

function layout(p: TensorPayload): { idx: Uint32Array; vals: Float32Array } {
  const b = p.bytes.byteOffset % 4 === 0 ? p.bytes : p.bytes.slice();
  if (b.byteLength < 4) throw fail('FRAME_INVALID', `top-k tensor payload is ${b.byteLength} bytes, too short for its header`);
  const k = new Uint32Array(b.buffer, b.byteOffset, 1)[0]!;
  if (k > p.length || b.byteLength !== topkBytes(k)) {
    throw fail('FRAME_INVALID', `top-k tensor of ${p.length} values with k = ${k} needs ${topkBytes(k)} bytes, got ${b.byteLength}`);
  }
  const idx = new Uint32Array(b.buffer, b.byteOffset + 4, k);
  let prev = -1;
  for (let j = 0; j < k; j++) {
    const i = idx[j]!;
    if (i <= prev || i >= p.length) throw fail('FRAME_INVALID', `top-k index ${i} at position ${j} is out of order or past ${p.length}`);
    prev = i;
  }
  return { idx, vals: new Float32Array(b.buffer, b.byteOffset + 4 + 4 * k, k) };
}

export function decodeTopk(p: TensorPayload, out?: Float32Array): Float32Array {
  const { idx, vals } = layout(p);
  const dst = outFor(out, p.length);
  dst.fill(0);
  for (let j = 0; j < idx.length; j++) dst[idx[j]!] = vals[j]!;
  return dst;
}

/** residual -= decode(payload), for error feedback: the sent entries are exactly zeroed. */
export function subtractTopk(p: TensorPayload, residual: Float32Array): void {
  const { idx } = layout(p);
  for (let j = 0; j < idx.length; j++) residual[idx[j]!] = 0;
}
