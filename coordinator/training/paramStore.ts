import type { Optimizer } from '../../shared/optim/types';

/**
 * The coordinator's copy of the model: one flat Float32Array (trainable
 * values, then non-trainable state such as batch-norm moving statistics),
 * a version bumped by every update, and preallocated accumulators that
 * shards' sums are added into. Nothing here allocates per step.
 */
export class ParamStore {
  readonly weights: Float32Array;
  /** The trainable part of `weights`, as a view. */
  readonly params: Float32Array;
  /** The non-trainable part of `weights`, as a view. */
  readonly state: Float32Array;
  version = 0;
  /** Sums over the current step (float64: many shards, exact enough to match a single process). */
  private readonly gradSum: Float64Array;
  private readonly stateSum: Float64Array;
  /** The averaged gradient handed to the optimizer. */
  readonly meanGrad: Float32Array;
  count = 0;
  lossSum = 0;

  constructor(initial: Float32Array, readonly trainableSize: number) {
    this.weights = Float32Array.from(initial);
    this.params = this.weights.subarray(0, trainableSize);
    this.state = this.weights.subarray(trainableSize);
    this.gradSum = new Float64Array(trainableSize);
    this.stateSum = new Float64Array(this.state.length);
    this.meanGrad = new Float32Array(trainableSize);
  }

  get stateSize(): number {
    return this.state.length;
  }

  resetAccumulators(): void {
    this.gradSum.fill(0);
    this.stateSum.fill(0);
    this.count = 0;
    this.lossSum = 0;
  }

  /** Adds one shard's gradient sum (and state sum, count-weighted) into the step's accumulators. */
  add(grad: Float32Array, stateSum: Float32Array, count: number, lossSum: number): void {
    const g = this.gradSum;
    for (let i = 0; i < g.length; i++) g[i]! += grad[i]!;
    const s = this.stateSum;
    for (let i = 0; i < s.length; i++) s[i]! += stateSum[i]!;
    this.count += count;
    this.lossSum += lossSum;
  }

  /** Writes the mean gradient into `meanGrad` and the mean state into `state`; returns the mean loss. */
  average(): number {
    const n = Math.max(1, this.count);
    const g = this.gradSum;
    for (let i = 0; i < g.length; i++) this.meanGrad[i] = g[i]! / n;
    if (this.state.length > 0 && this.count > 0) {
      for (let i = 0; i < this.state.length; i++) this.state[i] = this.stateSum[i]! / n;
    }
    return this.lossSum / n;
  }

  /** Applies the optimizer to the averaged gradient and bumps the version. */
  apply(optimizer: Optimizer, lr: number): void {
    optimizer.step(this.params, this.meanGrad, lr);
    this.version++;
  }
}
