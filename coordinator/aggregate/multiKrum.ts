import type { AggregateReport } from './aggregator';
import { PerPeerAggregator } from './perPeerAggregator';
import { normsOf } from './contributions';

/**
 * Multi-Krum (Blanchard et al. 2017; El Mhamdi et al. 2018), tolerating F bad
 * peers among n: each contribution's score is the sum of its squared
 * distances to its n - F - 2 nearest others; the n - F lowest-scored are
 * averaged, weighted by sample count (so with F = 0 it is the exact mean).
 * The guarantee needs n > 2F + 2; with fewer peers the neighbour count and
 * the selection shrink to at least one.
 */
export class MultiKrumAggregator extends PerPeerAggregator {
  readonly name: string;

  constructor(
    size: number,
    private readonly f: number,
  ) {
    super(size);
    this.name = `krum:${f}`;
  }

  reduce(out: Float32Array): AggregateReport {
    const x = this.c.means();
    const n = x.length;
    const ids = this.c.ids;
    if (n === 0) {
      out.fill(0);
      return { contributions: 0, count: 0, flagged: [], norms: new Map() };
    }
    const d2: number[][] = x.map(() => new Array<number>(n).fill(0));
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        let s = 0;
        const ra = x[a]!;
        const rb = x[b]!;
        for (let i = 0; i < ra.length; i++) {
          const d = ra[i]! - rb[i]!;
          s += d * d;
        }
        d2[a]![b] = d2[b]![a] = s;
      }
    }
    const neighbours = Math.max(1, Math.min(n - 1, n - this.f - 2));
    const scores = d2.map((row, a) =>
      row
        .filter((_, b) => b !== a)
        .sort((p, q) => p - q)
        .slice(0, neighbours)
        .reduce((s, v) => s + v, 0),
    );
    const keep = Math.max(1, n - this.f);
    const order = scores.map((s, k) => ({ s, k })).sort((p, q) => p.s - q.s || p.k - q.k);
    const chosen = order.slice(0, keep).map((o) => o.k);
    let total = 0;
    out.fill(0);
    const acc = new Float64Array(out.length);
    for (const k of chosen) {
      const w = this.c.counts[k]!;
      total += w;
      const r = x[k]!;
      for (let i = 0; i < acc.length; i++) acc[i]! += w * r[i]!;
    }
    for (let i = 0; i < out.length; i++) out[i] = acc[i]! / total;
    const kept = new Set(chosen);
    return { contributions: n, count: total, flagged: ids.filter((_, k) => !kept.has(k)), norms: normsOf(ids, x) };
  }
}
