import { z } from 'zod';
import { fail } from '../errors';

/**
 * The digest check that keeps a relay honest. Every tab in the tree sends
 * the coordinator, over its own WebSocket, a few numbers about its OWN
 * contribution: its sample count, its loss sum and `PROJECTIONS` random
 * projections of its gradient sum (dot products with ±1 vectors drawn from
 * a seed). Projections are linear, so the projections of a relayed sum must
 * equal the sum of its subtree's projections, up to float32 rounding.
 *
 * The seed is revealed to the tabs of a subtree only after the coordinator
 * has the subtree's sum (see DigestRound): a relay cannot shape a forged sum
 * to match projections it does not know yet. A sum that does not add up is
 * rejected (its shards are reassigned) and the relays under it lose the
 * right to relay (quarantine).
 */
export const PROJECTIONS = 4;

export interface Digest {
  count: number;
  lossSum: number;
  /** PROJECTIONS dot products with ±1 vectors, in float64. */
  proj: number[];
  /** Euclidean norm of the gradient sum: scales the rounding a float32 sum may show in a projection. */
  l2: number;
  /**
   * ||sent - sum||₂ of every hop this tab sent its sum up (to its parent tab,
   * or as a root to the coordinator) with a lossy codec: the rounding it
   * added (hopCodec.ts). Absent: the check allows the codec's bound instead.
   */
  codecErr?: number | undefined;
}

/** mulberry32: a small 32-bit PRNG; the same seed gives the same signs in every tab and in the coordinator. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The projections of a gradient sum: one pass, 32 signs per random word. */
export function project(grad: Float32Array, seed: number): { proj: number[]; l2: number } {
  const proj = new Array<number>(PROJECTIONS).fill(0);
  const rand = mulberry32(seed);
  let sq = 0;
  let word = 0;
  let bits = 0;
  for (let i = 0; i < grad.length; i++) {
    const g = grad[i] as number;
    sq += g * g;
    for (let j = 0; j < PROJECTIONS; j++) {
      if (bits === 0) {
        word = rand();
        bits = 32;
      }
      proj[j] = (proj[j] as number) + (word & 1 ? g : -g);
      word >>>= 1;
      bits--;
    }
  }
  return { proj, l2: Math.sqrt(sq) };
}

export function digestOf(grad: Float32Array, count: number, lossSum: number, seed: number, codecErr?: number): Digest {
  return { count, lossSum, ...project(grad, seed), ...(codecErr === undefined ? {} : { codecErr }) };
}

export type DigestVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Does a relayed sum (count, loss sum, gradient sum) match the digests of
 * the tabs it claims to cover? A float32 sum of m terms differs from the
 * exact sum by e_i <= (m-1)·2^-24·Σ_c|c_i| per coordinate. The signs are
 * drawn independently of that rounding, so Σ r_i·e_i is a sum of independent
 * ±e_i with standard deviation at most sqrt(Σ e_i²) <= (m-1)·2^-24·Σ_c ||c||₂
 * (Hoeffding: beyond 8 of those, probability < e^-32). The check allows 8
 * (and 2^-20 of the loss sum): an honest relay passes, and a dropped,
 * doubled or altered child whose projection is above the rounding fails.
 *
 * `codecSlack` bounds sqrt(Σ e_i²) of the rounding the wire codec added on
 * every hop (hopsSlackOf; codecSlackOf for one hop); Infinity (top-k)
 * checks counts and loss only.
 */
export function checkRelayedSum(sum: { grad: Float32Array; count: number; lossSum: number }, covered: readonly Digest[], seed: number, codecSlack = 0): DigestVerdict {
  const count = covered.reduce((a, d) => a + d.count, 0);
  if (sum.count !== count) return { ok: false, reason: `sample count ${sum.count}, the digests add up to ${count}` };
  const loss = covered.reduce((a, d) => a + d.lossSum, 0);
  const lossAbs = covered.reduce((a, d) => a + Math.abs(d.lossSum), 0);
  if (Math.abs(sum.lossSum - loss) > 4 * 2 ** -20 * lossAbs + 1e-12) return { ok: false, reason: `loss sum ${sum.lossSum}, the digests add up to ${loss}` };
  if (!Number.isFinite(codecSlack)) return { ok: true };
  const got = project(sum.grad, seed);
  const l2 = covered.reduce((a, d) => a + d.l2, 0);
  const tolerance = 8 * (Math.max(1, covered.length - 1) * 2 ** -24 * l2 + codecSlack) + 1e-30;
  for (let j = 0; j < PROJECTIONS; j++) {
    const want = covered.reduce((a, d) => a + (d.proj[j] as number), 0);
    const diff = Math.abs((got.proj[j] as number) - want);
    if (diff > tolerance) return { ok: false, reason: `gradient projection ${j} is off by ${diff.toExponential(2)} (allowed ${tolerance.toExponential(2)})` };
  }
  return { ok: true };
}

/** Wire codecs as the check sees them (the values of TensorCodec, shared/protocol/codes.ts). */
export type SumCodec = 'fp32' | 'fp16' | 'int8' | 'topk';

/**
 * A bound on sqrt(Σ e_i²), the rounding a codec adds to a sum of n values
 * whose decoded copy is `decoded`: none for fp32; fp16 rounds to 2^-11 of
 * each value (2^-25 absolute below its normal range); int8 rounds each value
 * to half its tensor's scale (max|x|/127), and its error feedback carries
 * the previous step's half-scale in too (counted as one more scale of this
 * step's); top-k sends a fraction of the sum: projections cannot be checked.
 */
export function codecSlackOf(codec: SumCodec, decoded: Float32Array): number {
  if (codec === 'fp32') return 0;
  if (codec === 'topk') return Infinity;
  let sq = 0;
  let max = 0;
  for (let i = 0; i < decoded.length; i++) {
    const v = decoded[i] as number;
    sq += v * v;
    max = Math.max(max, Math.abs(v));
  }
  const n = Math.sqrt(decoded.length);
  if (codec === 'fp16') return 2 ** -11 * Math.sqrt(sq) + 2 ** -25 * n;
  return (n * max) / 127;
}

/**
 * The codec rounding a relayed sum may hold after every hop of its tree
 * (tab to tab and the root's to the coordinator: --compress applies on each,
 * hopCodec.ts). The errors of the hops add up in the sum, so by the triangle
 * inequality sqrt(Σ e_i²) of the whole is at most the sum of each hop's.
 * Each tab that sent a hop reports its own hop's rounding (`codecErr`, the
 * exact norm) in its digest; a claim counts at most `codecSlackOf` (the
 * codec's bound for one hop, from the decoded sum, with the digests' norms
 * as the sum's size for fp16), and a tab without a claim counts that bound.
 * So an honest tree passes with the rounding it really made, and a relay
 * that claims more rounding than it made hides at most one hop's bound.
 * Top-k: Infinity (counts and loss only); fp32: 0.
 */
export function hopsSlackOf(codec: SumCodec, decoded: Float32Array, covered: readonly Digest[]): number {
  if (codec === 'fp32' || codec === 'topk') return codecSlackOf(codec, decoded);
  const l2 = covered.reduce((a, d) => a + d.l2, 0);
  const cap = codec === 'fp16' ? 2 ** -11 * (l2 + norm(decoded)) + 2 ** -25 * Math.sqrt(decoded.length) : codecSlackOf(codec, decoded);
  return covered.reduce((a, d) => a + Math.min(d.codecErr ?? cap, cap), 0);
}

function norm(v: Float32Array): number {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += (v[i] as number) ** 2;
  return Math.sqrt(sq);
}

/** A digest as a tab sends it (JSON over its WebSocket), checked at the boundary. */
export const digestSchema = z
  .object({
    count: z.number().int().min(0).max(2 ** 31),
    lossSum: z.number().finite(),
    proj: z.array(z.number().finite()).length(PROJECTIONS),
    l2: z.number().finite().min(0),
    codecErr: z.number().finite().min(0).optional(),
  })
  .strict();

export function parseDigest(value: unknown): Digest {
  const r = digestSchema.safeParse(value);
  if (!r.success) throw fail('FRAME_INVALID', `a p2p digest is malformed: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}
