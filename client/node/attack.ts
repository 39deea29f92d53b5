import { decodeTensor, encodeFp32 } from '../../shared/compress';
import { Rng } from '../../shared/data/rng';
import { fail } from '../../shared/errors';
import { MessageCode, decodeEvalResult, decodeGrad, decodeReady, encodeEvalResult, encodeGrad, encodeReady } from '../../shared/protocol';
import type { PeerSocket } from '../peer/socket';

/**
 * `tabtrain peer --attack KIND`: a Node peer that computes its gradients and
 * evaluations for real, then lies about them on the way out (its socket's
 * `send` is wrapped; the trainer and session are the honest ones). For tests
 * and for showing a class what one bad laptop does to plain averaging.
 *
 *   sign-flip  sends -g                    scale:K  sends K * g (e.g. scale:-100)
 *   noise      g + Gaussian noise, 10x the gradient's RMS per value
 *   alie       "a little is enough" (Baruch et al. 2019): mu - z * sigma per value,
 *              mu and sigma estimated from its own recent gradients, z = 1
 *   ipm        inner-product manipulation (Xie et al. 2020): -eps * g, eps = 0.5
 *   nan        a gradient of NaN                silent  READY, then never answers a task
 *   liar       claims 1000x its speed at warm-up, and a perfect evaluation (no errors, zero loss)
 *
 * alie and ipm are built to slip past robust rules when several peers
 * attack together; one of five barely moves the plain mean.
 */
export type AttackSpec =
  | { kind: 'sign-flip' | 'noise' | 'alie' | 'ipm' | 'nan' | 'silent' | 'liar' }
  | { kind: 'scale'; k: number };

export const ATTACKS = ['sign-flip', 'scale:K', 'noise', 'alie', 'ipm', 'nan', 'silent', 'liar'] as const;

export function parseAttack(s: string): AttackSpec {
  const [kind, arg] = s.split(':');
  if (kind === 'scale') {
    const k = Number(arg);
    if (arg === undefined || arg === '' || !Number.isFinite(k)) throw fail('CONFIG_INVALID', `--attack ${s}: scale needs a finite factor, e.g. scale:-100`);
    return { kind, k };
  }
  if (arg === undefined && (kind === 'sign-flip' || kind === 'noise' || kind === 'alie' || kind === 'ipm' || kind === 'nan' || kind === 'silent' || kind === 'liar')) return { kind };
  throw fail('CONFIG_INVALID', `--attack ${s}: expected one of ${ATTACKS.join(' | ')}`);
}

const ALIE_Z = 1;
const IPM_EPS = 0.5;
const NOISE_RMS = 10;
const LIAR_SPEEDUP = 1000;
/** alie: weight of the newest gradient in the running mean and variance. */
const ALIE_RATE = 0.2;

/** What the attacker does to one shard's gradient SUM over `count` samples (in place). */
export class GradientAttack {
  private mean: Float64Array | null = null;
  private sq: Float64Array | null = null;

  constructor(
    readonly spec: AttackSpec,
    private readonly rng = new Rng(0xa77ac),
  ) {}

  apply(g: Float32Array, count: number): void {
    const s = this.spec;
    switch (s.kind) {
      case 'sign-flip':
        return scale(g, -1);
      case 'scale':
        return scale(g, s.k);
      case 'ipm':
        return scale(g, -IPM_EPS);
      case 'nan':
        return void g.fill(Number.NaN);
      case 'noise': {
        let ss = 0;
        for (let i = 0; i < g.length; i++) ss += g[i]! * g[i]!;
        const sigma = NOISE_RMS * Math.sqrt(ss / Math.max(1, g.length));
        for (let i = 0; i < g.length; i++) g[i]! += sigma * this.rng.nextGaussian();
        return;
      }
      case 'alie':
        return this.alie(g, count);
      default:
        return;
    }
  }

  private alie(g: Float32Array, count: number): void {
    const n = Math.max(1, count);
    if (!this.mean || !this.sq) {
      this.mean = new Float64Array(g.length);
      this.sq = new Float64Array(g.length);
      for (let i = 0; i < g.length; i++) {
        this.mean[i] = g[i]! / n;
        this.sq[i] = (g[i]! / n) ** 2;
      }
    }
    const m = this.mean;
    const q = this.sq;
    for (let i = 0; i < g.length; i++) {
      const x = g[i]! / n;
      m[i] = (1 - ALIE_RATE) * m[i]! + ALIE_RATE * x;
      q[i] = (1 - ALIE_RATE) * q[i]! + ALIE_RATE * x * x;
      const sigma = Math.sqrt(Math.max(0, q[i]! - m[i]! * m[i]!));
      g[i] = n * (m[i]! - ALIE_Z * sigma);
    }
  }
}

function scale(g: Float32Array, k: number): void {
  for (let i = 0; i < g.length; i++) g[i]! *= k;
}

/** Wraps a peer's socket: outgoing READY, GRAD and EVAL_RESULT frames are rewritten (or dropped) as the attack says. */
export function attackSocket(ws: PeerSocket, attack: GradientAttack): PeerSocket {
  const send = ws.send.bind(ws);
  const kind = attack.spec.kind;
  ws.send = (frame: Uint8Array): void => {
    const code = frame[0];
    if (code === MessageCode.GRAD) {
      if (kind === 'silent') return;
      if (kind === 'liar') return send(frame);
      const g = decodeGrad(frame);
      const values = Float32Array.from(decodeTensor(g.grad));
      attack.apply(values, g.count);
      return send(encodeGrad({ ...g, grad: encodeFp32(values) }));
    }
    if (code === MessageCode.EVAL_RESULT) {
      if (kind === 'silent') return;
      if (kind !== 'liar') return send(frame);
      const e = decodeEvalResult(frame);
      const k = e.classes;
      const perfect = new Uint32Array(k * k);
      for (let t = 0; t < k; t++) for (let p = 0; p < k; p++) perfect[t * k + t]! += e.confusion[t * k + p]!;
      return send(encodeEvalResult({ ...e, lossSum: 0, absErrSum: 0, sqErrSum: 0, apeSum: 0, confusion: perfect, misclassified: new Uint32Array(0) }));
    }
    if (code === MessageCode.READY && kind === 'liar') {
      const r = decodeReady(frame);
      return send(encodeReady({ ...r, samplesPerSec: r.samplesPerSec * LIAR_SPEEDUP }));
    }
    send(frame);
  };
  return ws;
}
