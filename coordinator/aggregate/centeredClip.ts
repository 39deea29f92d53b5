import type { AggregateReport, Aggregator } from './aggregator';
import { Contributions, distance, medianOf, normsOf } from './contributions';

/**
 * Centered clipping (Karimireddy, He, Jaggi 2021, "Learning from History for
 * Byzantine Robust Optimization"): starting from the center v (the previous
 * step's result: the history), each peer's contribution x_i may pull v by at
 * most tau,
 *   v <- v + sum_i n_i * clip_tau(x_i - v) / sum_i n_i,   clip_tau(d) = d * min(1, tau / ||d||),
 * repeated ITERATIONS times; v is the step's gradient and the next center.
 * With nothing clipped one iteration gives exactly the weighted mean.
 *
 * tau: given (`clip:TAU`), or the median of the last HISTORY distances
 * ||x_i - v|| (this step's and earlier steps'): a typical honest deviation as
 * long as fewer than half the recent contributions are bad, and it works in
 * async mode too, where each update has one contribution.
 *
 * The paper's worker momentum is not added here: the coordinator's optimizer
 * (adam, momentum) already averages over time, and the center carries the
 * history; peers send plain gradients.
 */
const ITERATIONS = 3;
/** Distances remembered for the adaptive tau (a few steps of a large fleet). */
const HISTORY = 64;

export class CenteredClipAggregator implements Aggregator {
  readonly name: string;
  private readonly c: Contributions;
  private readonly center: Float64Array;
  private readonly delta: Float64Array;
  private readonly recent: number[] = [];

  constructor(
    size: number,
    private readonly tau: number | null = null,
  ) {
    this.name = tau === null ? 'clip' : `clip:${tau}`;
    this.c = new Contributions(size);
    this.center = new Float64Array(size);
    this.delta = new Float64Array(size);
  }

  reset(): void {
    this.c.reset();
  }

  add(peerId: string, gradSum: Float32Array, count: number): void {
    this.c.add(peerId, gradSum, count);
  }

  /** The radius in use: given, or the median of recent distances. */
  radius(): number {
    return this.tau ?? medianOf(this.recent);
  }

  reduce(out: Float32Array): AggregateReport {
    const x = this.c.means();
    const ids = this.c.ids;
    const counts = this.c.counts;
    const total = this.c.totalCount;
    const v = this.center;
    if (x.length === 0) {
      out.fill(0);
      return { contributions: 0, count: 0, flagged: [], norms: new Map() };
    }
    const first = x.map((r) => distance(r, v));
    for (const d of first) this.recent.push(d);
    if (this.recent.length > HISTORY) this.recent.splice(0, this.recent.length - HISTORY);
    const tau = this.radius();
    const flagged = ids.filter((_, k) => first[k]! > tau);
    for (let it = 0; it < ITERATIONS; it++) {
      const dl = this.delta;
      dl.fill(0);
      for (let k = 0; k < x.length; k++) {
        const r = x[k]!;
        const d = it === 0 ? first[k]! : distance(r, v);
        const w = (counts[k]! * (d > tau ? tau / d : 1)) / total;
        for (let i = 0; i < dl.length; i++) dl[i]! += w * (r[i]! - v[i]!);
      }
      for (let i = 0; i < v.length; i++) v[i]! += dl[i]!;
    }
    for (let i = 0; i < v.length; i++) out[i] = v[i]!;
    return { contributions: x.length, count: total, flagged, norms: normsOf(ids, x) };
  }
}
