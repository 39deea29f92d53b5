import type { AggregateReport, Aggregator } from './aggregator';
import { Contributions } from './contributions';

/**
 * What every robust rule shares: a step's shards folded into each peer's
 * own row (Contributions), forgotten when the next step starts. Only
 * `reduce`, the rule itself, differs.
 */
export abstract class PerPeerAggregator implements Aggregator {
  abstract readonly name: string;
  protected readonly c: Contributions;

  constructor(size: number) {
    this.c = new Contributions(size);
  }

  reset(): void {
    this.c.reset();
  }

  add(peerId: string, gradSum: Float32Array, count: number): void {
    this.c.add(peerId, gradSum, count);
  }

  abstract reduce(out: Float32Array): AggregateReport;
}
