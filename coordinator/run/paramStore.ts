import type { Optimizer } from '../../shared/optim/types';
import type { AggregateReport, Aggregator } from '../aggregate/aggregator';
import { MeanAggregator } from '../aggregate/meanAggregator';
import type { BatchNormSlot } from '../model/batchNormLayout';

/**
 * The coordinator's copy of the model: one flat Float32Array (trainable
 * values, then non-trainable state such as batch-norm moving statistics),
 * a version bumped by every update, and preallocated accumulators that
 * shards' sums are added into. Nothing here allocates per step.
 *
 * Batch-norm moving statistics: each peer normalises with its own shard's
 * batch statistics and returns its moving mean m_i and variance v_i after
 * one update, m_i = p m + (1 - p) mu_i (p the momentum). From those the
 * store recovers each shard's batch mean mu_i and (biased) variance s_i, and
 * combines them as the whole global batch's moments would be:
 *   mu = sum n_i mu_i / n,   s = sum n_i (s_i + mu_i^2) / n - mu^2,
 * then applies the moving update once. The statistics the coordinator holds,
 * exports and sends to every tab are thus those of the global batch, however
 * it was cut. Other state is averaged by sample count.
 */
export class ParamStore {
  readonly weights: Float32Array;
  /** The trainable part of `weights`, as a view. */
  readonly params: Float32Array;
  /** The non-trainable part of `weights`, as a view. */
  readonly state: Float32Array;
  version = 0;
  /** How the step's gradient sums become `meanGrad` (--aggregate; the exact float64 mean unless given). */
  readonly aggregator: Aggregator;
  /** What the aggregator did at the last `average()` (per-peer norms, flagged peers). */
  lastAggregate: AggregateReport | null = null;
  /** State sums over the current step (float64: many shards, exact enough to match a single process). */
  private readonly stateSum: Float64Array;
  /** The averaged gradient handed to the optimizer. */
  readonly meanGrad: Float32Array;
  count = 0;
  lossSum = 0;

  constructor(
    initial: Float32Array,
    readonly trainableSize: number,
    private readonly batchNorm: readonly BatchNormSlot[] = [],
    aggregator?: Aggregator,
  ) {
    this.weights = Float32Array.from(initial);
    this.params = this.weights.subarray(0, trainableSize);
    this.state = this.weights.subarray(trainableSize);
    this.aggregator = aggregator ?? new MeanAggregator(trainableSize);
    this.stateSum = new Float64Array(this.state.length);
    this.meanGrad = new Float32Array(trainableSize);
  }

  get stateSize(): number {
    return this.state.length;
  }

  resetAccumulators(): void {
    this.aggregator.reset();
    this.stateSum.fill(0);
    this.count = 0;
    this.lossSum = 0;
  }

  /** Adds one shard's gradient sum (from `peerId`; robust rules group by it) and state sum, count-weighted, into the step's accumulators. */
  add(grad: Float32Array, stateSum: Float32Array, count: number, lossSum: number, peerId = ''): void {
    this.aggregator.add(peerId, grad, count);
    const s = this.stateSum;
    if (this.batchNorm.length === 0) {
      for (let i = 0; i < s.length; i++) s[i]! += stateSum[i]!;
    } else if (count > 0) {
      for (let i = 0; i < s.length; i++) s[i]! += stateSum[i]!;
      this.addBatchMoments(stateSum, count);
    }
    this.count += count;
    this.lossSum += lossSum;
  }

  /** Writes the mean gradient into `meanGrad` and the mean state into `state`; returns the mean loss. */
  average(): number {
    const n = Math.max(1, this.count);
    this.lastAggregate = this.aggregator.reduce(this.meanGrad);
    if (this.state.length > 0 && this.count > 0) {
      for (const b of this.batchNorm) this.applyBatchMoments(b, n);
      for (let i = 0; i < this.state.length; i++) this.state[i] = this.stateSum[i]! / n;
    }
    return this.lossSum / n;
  }

  /** Replaces a shard's moving statistics in the sums by its batch moments: n mu_i and n (s_i + mu_i^2). */
  private addBatchMoments(stateSum: Float32Array, count: number): void {
    const s = this.stateSum;
    const state = this.state;
    for (const b of this.batchNorm) {
      const k = 1 - b.momentum;
      for (let j = 0; j < b.size; j++) {
        const im = b.meanAt + j;
        const iv = b.varianceAt + j;
        const mu = (stateSum[im]! / count - b.momentum * state[im]!) / k;
        const variance = Math.max(0, (stateSum[iv]! / count - b.momentum * state[iv]!) / k);
        s[im]! += count * mu - stateSum[im]!;
        s[iv]! += count * (variance + mu * mu) - stateSum[iv]!;
      }
    }
  }

  /** Turns the summed moments into the moving update, written back as sums so the plain average leaves it in place. */
  private applyBatchMoments(b: BatchNormSlot, n: number): void {
    const s = this.stateSum;
    const state = this.state;
    for (let j = 0; j < b.size; j++) {
      const im = b.meanAt + j;
      const iv = b.varianceAt + j;
      const mu = s[im]! / n;
      const variance = Math.max(0, s[iv]! / n - mu * mu);
      s[im] = n * (b.momentum * state[im]! + (1 - b.momentum) * mu);
      s[iv] = n * (b.momentum * state[iv]! + (1 - b.momentum) * variance);
    }
  }

  /** Applies the optimizer to the averaged gradient and bumps the version. */
  apply(optimizer: Optimizer, lr: number): void {
    optimizer.step(this.params, this.meanGrad, lr);
    this.version++;
  }
}
