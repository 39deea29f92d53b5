import type { AggregateReport } from './aggregator';
import { PerPeerAggregator } from './perPeerAggregator';
import { normsOf } from './contributions';

/**
 * Coordinate-wise statistics over the peers' contributions x_i: the median
 * (`median`), or the trimmed mean (`trimmed:F`: at every coordinate drop the
 * F largest and F smallest values, average the rest). Each peer is one vote
 * whatever its sample count: weighting by count would let a peer that holds
 * many samples move the median alone. With equal shards and F = 0 the
 * trimmed mean is the exact mean. F is capped so at least one value stays.
 */
export class CoordinateAggregator extends PerPeerAggregator {
  readonly name: string;
  private column = new Float64Array(0);

  constructor(
    size: number,
    /** null: median; a number: the trimmed mean dropping that many at each end. */
    private readonly trim: number | null,
  ) {
    super(size);
    this.name = trim === null ? 'median' : `trimmed:${trim}`;
  }

  reduce(out: Float32Array): AggregateReport {
    const x = this.c.means();
    const n = x.length;
    if (n === 0) {
      out.fill(0);
      return { contributions: 0, count: 0, flagged: [], norms: new Map() };
    }
    if (this.column.length !== n) this.column = new Float64Array(n);
    const col = this.column;
    const t = this.trim === null ? -1 : Math.min(this.trim, (n - 1) >> 1);
    const mid = n >> 1;
    for (let i = 0; i < out.length; i++) {
      for (let k = 0; k < n; k++) col[k] = x[k]![i]!;
      col.sort();
      if (t < 0) {
        out[i] = n % 2 ? col[mid]! : (col[mid - 1]! + col[mid]!) / 2;
      } else {
        let s = 0;
        for (let k = t; k < n - t; k++) s += col[k]!;
        out[i] = s / (n - 2 * t);
      }
    }
    return { contributions: n, count: this.c.totalCount, flagged: [], norms: normsOf(this.c.ids, x) };
  }
}
