import type { AggregateReport } from './aggregator';
import { PerPeerAggregator } from './perPeerAggregator';
import { distance, medianOf, normsOf } from './contributions';

/**
 * Centered clipping (Karimireddy, He, Jaggi 2021, "Learning from History for
 * Byzantine Robust Optimization"): starting from the center v (the previous
 * step's result: the history), each peer's contribution x_i pulls v by
 *   v <- v + sum_i n_i * w_i * (x_i - v) / sum_i n_i,   w_i <= min(1, tau / ||x_i - v||),
 * so by at most tau; v is the step's gradient and the next center. With
 * nothing clipped it is exactly the weighted mean.
 *
 * `clip:TAU`: w_i = min(1, TAU / ||x_i - v||), the paper's rule with one
 * iteration.
 *
 * `clip` (adaptive): tau is the median of the last HISTORY distances
 * ||x_i - v|| (a typical honest deviation while fewer than half the recent
 * contributions are bad; it works in async mode too, one contribution per
 * update), and each peer is also judged by its history: the coordinator
 * keeps each peer's momentum m_i <- 0.9 m_i + 0.1 x_i, the same rule runs
 * over the m_i (center v_m, radius tau_m from their recent distances), and
 *   w_i = min(1, tau / ||x_i - v||, tau_m / ||m_i - v_m||).
 * Why: a bad peer clipped at tau still pulls the result by tau n_i / n every
 * step, the same way each step, and the honest pulls balance it only at a
 * bias of about tau / (n / n_i - 1) (tau / 4 for one peer of five) -- the
 * gap that kept one `scale:-100` peer of five 2.9 points below the clean
 * run's test accuracy (scripts/clip-study.ts). The paper's cure is worker
 * momentum, whose averages spread ~4x less than single steps, so that a
 * tight radius clips the bad peer hard and the honest ones little; but
 * momentum as the update stacks on adam's own and slowed clean training
 * (0.83 -> 0.71 at 80 steps). Here the momenta only score: a peer whose
 * history sits far out (a persistent attacker) gets w ~ tau_m / ||m_i - v_m||,
 * ~4x less pull than tau, while the update stays this step's contributions.
 * Beyond REDESCEND radii the score redescends (scoreWeight: w ~ R tau_m^2 /
 * ||m_i - v_m||^2), so a history far outside every honest one pulls less
 * the farther out it is: a constant pull, however small, is a constant bias
 * (one `scale:-100` peer holding 35% of each batch kept the model 9 points
 * below the clean run with 1/r scores, 0.3-0.7 with these; scripts/clip-study.ts
 * --share 0.35, seeds 3-5).
 * The bound per step stays tau (an attacker that makes its momentum look
 * honest by alternating still meets the raw clip); at a peer's first step
 * m_i = x_i, so it is the plain rule unless x_i is far out.
 *
 * `new CenteredClipAggregator(size, tau, beta > 0)`: the paper's worker
 * momentum as the update (m_i clipped and applied), for comparison.
 * A peer's momentum is dropped after FORGET_STEPS steps without a
 * contribution; each costs one float64 per parameter.
 */
const FORGET_STEPS = 100;
/** Distances remembered for the adaptive tau (a few steps of a large fleet). */
const HISTORY = 64;
/** Momentum of the peers' histories that score them in adaptive `clip`. */
export const SCORE_BETA = 0.9;
/** Kept for the paper's form: worker momentum as the update (0 = off, the default). */
export const DEFAULT_BETA = 0;
/** Momentum distances beyond this many radii redescend (see scoreWeight). */
export const REDESCEND = 4;

interface History {
  m: Float64Array;
  seen: number;
}

export class CenteredClipAggregator extends PerPeerAggregator {
  readonly name: string;
  private readonly center: Float64Array;
  private readonly delta: Float64Array;
  private readonly recent: number[] = [];
  /** Adaptive scoring: the momenta's center, its step and recent distances. */
  private readonly centerM: Float64Array;
  private readonly deltaM: Float64Array;
  private readonly recentM: number[] = [];
  private readonly momentum = new Map<string, History>();
  private steps = 0;

  constructor(
    size: number,
    private readonly tau: number | null = null,
    private readonly beta = DEFAULT_BETA,
    /** Score peers by their momenta (adaptive `clip`); false: the adaptive tau alone (scripts/clip-study.ts compares). */
    scored = tau === null && beta === 0,
    private readonly redescend = REDESCEND,
  ) {
    super(size);
    this.name = tau === null ? 'clip' : `clip:${tau}`;
    this.center = new Float64Array(size);
    this.delta = new Float64Array(size);
    this.centerM = new Float64Array(scored ? size : 0);
    this.deltaM = new Float64Array(scored ? size : 0);
  }

  /** The radius in use: given, or the median of recent distances. */
  radius(): number {
    return this.tau ?? medianOf(this.recent);
  }

  reduce(out: Float32Array): AggregateReport {
    const raw = this.c.means();
    const ids = this.c.ids;
    const step = ++this.steps;
    if (raw.length === 0) {
      out.fill(0);
      return { contributions: 0, count: 0, flagged: [], norms: new Map() };
    }
    const m = this.beta > 0 || this.centerM.length > 0 ? this.histories(raw, ids, step) : null;
    // The paper's form moves the center with the momenta; otherwise with this step's contributions.
    const x: readonly Float64Array[] = this.beta > 0 ? m! : raw;
    const v = this.center;
    const d = x.map((r) => distance(r, v));
    remember(this.recent, d);
    const tau = this.radius();
    const w = d.map((dk) => (dk > tau ? tau / dk : 1));
    if (m && this.beta === 0) {
      const vm = this.centerM;
      const dm = m.map((r) => distance(r, vm));
      remember(this.recentM, dm);
      const taum = medianOf(this.recentM);
      dm.forEach((dk, k) => (w[k] = Math.min(w[k]!, scoreWeight(dk / taum, this.redescend))));
      move(vm, this.deltaM, m, w, this.c.counts, this.c.totalCount);
    }
    move(v, this.delta, x, w, this.c.counts, this.c.totalCount);
    for (let i = 0; i < v.length; i++) out[i] = v[i]!;
    return { contributions: raw.length, count: this.c.totalCount, flagged: ids.filter((_, k) => w[k]! < 1), norms: normsOf(ids, raw) };
  }

  /** Each contributing peer's momentum, m_i <- beta m_i + (1 - beta) x_i (m_i = x_i at its first step); forgets the long absent. */
  private histories(x: readonly Float64Array[], ids: readonly string[], step: number): Float64Array[] {
    const beta = this.beta > 0 ? this.beta : SCORE_BETA;
    const out = x.map((r, k) => {
      const id = ids[k]!;
      const held = this.momentum.get(id);
      if (!held) {
        const h = { m: Float64Array.from(r), seen: step };
        this.momentum.set(id, h);
        return h.m;
      }
      held.seen = step;
      const mm = held.m;
      for (let i = 0; i < mm.length; i++) mm[i] = beta * mm[i]! + (1 - beta) * r[i]!;
      return mm;
    });
    for (const [id, h] of this.momentum) if (step - h.seen > FORGET_STEPS) this.momentum.delete(id);
    return out;
  }
}

/**
 * A peer's weight from how far its momentum sits out, r = ||m_i - v_m|| / tau_m:
 * 1 inside the radius, 1/r (a pull of tau_m) up to R radii, then R/r^2, so a
 * history far outside every honest one (a persistent attacker) pulls less
 * the farther out it is, instead of a constant tau_m.
 */
export function scoreWeight(r: number, R: number): number {
  if (!(r > 1)) return 1;
  return r <= R ? 1 / r : R / (r * r);
}

/** center <- center + sum_k n_k w_k (x_k - center) / total. */
function move(center: Float64Array, delta: Float64Array, x: readonly Float64Array[], w: readonly number[], counts: readonly number[], total: number): void {
  delta.fill(0);
  for (let k = 0; k < x.length; k++) {
    const c = (counts[k]! * w[k]!) / total;
    const r = x[k]!;
    for (let i = 0; i < delta.length; i++) delta[i]! += c * (r[i]! - center[i]!);
  }
  for (let i = 0; i < center.length; i++) center[i]! += delta[i]!;
}

function remember(into: number[], values: readonly number[]): void {
  for (const d of values) into.push(d);
  if (into.length > HISTORY) into.splice(0, into.length - HISTORY);
}
