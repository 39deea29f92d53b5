import { NO_FLAGS, NO_NORMS, type AggregateReport, type Aggregator } from './aggregator';

/**
 * The exact weighted mean: every shard's sum added into one float64
 * accumulator, divided by the total sample count. Per sample, the gradient of
 * the whole global batch, as one process would compute it (the default).
 */
export class MeanAggregator implements Aggregator {
  readonly name = 'mean';
  private readonly sum: Float64Array;
  private count = 0;
  private shards = 0;

  constructor(size: number) {
    this.sum = new Float64Array(size);
  }

  reset(): void {
    this.sum.fill(0);
    this.count = 0;
    this.shards = 0;
  }

  add(_peerId: string, gradSum: Float32Array, count: number): void {
    const s = this.sum;
    for (let i = 0; i < s.length; i++) s[i]! += gradSum[i]!;
    this.count += count;
    this.shards++;
  }

  reduce(out: Float32Array): AggregateReport {
    const n = Math.max(1, this.count);
    const s = this.sum;
    for (let i = 0; i < s.length; i++) out[i] = s[i]! / n;
    return { contributions: this.shards, count: this.count, flagged: NO_FLAGS, norms: NO_NORMS };
  }
}
