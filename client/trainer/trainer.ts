import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../shared/data/dataset';
import type { WeightSpec } from '../../shared/protocol/schemas';
import { evaluateShard, type ShardEvaluation } from './evaluate';
import { shardGradient, type ShardGradient } from './gradient';
import { InnerOptimizerHolder, localSteps, type LocalResult } from './localSteps';
import type { LocalPlan } from '../../shared/protocol/localPlan';
import type { LossName } from './loss';
import { bucketSize } from './bucket';
import { assignFlat, buildModel, type BoundModel } from './model';

/**
 * The trainer core every peer runs, in a tab (WebGL/wasm/cpu) or under Node
 * (cpu): it holds one model whose weights the coordinator sets, and computes
 * gradient sums and evaluation sums on the shards it is given. It keeps no
 * tensors between calls beyond the model's own variables.
 */
export interface TrainerOptions {
  /**
   * Pad batches to a few bucket sizes (bucket.ts). Worth it where each new
   * shape costs a compile (WebGL); wasted work on cpu. Off for models with
   * batch normalisation, whose statistics padding would change.
   */
  shapeBuckets?: boolean;
}

export class Trainer {
  private version = -1;
  /** --mode local: the inner optimizer, kept between rounds (localSteps.ts). */
  private readonly inner = new InnerOptimizerHolder();
  /** Rows a batch of n samples is padded to (bucket.ts), or n. */
  readonly rowsFor: (n: number) => number;

  protected constructor(
    readonly bound: BoundModel,
    readonly dataset: Dataset,
    readonly loss: LossName,
    readonly outputUnits: number,
    options: TrainerOptions,
  ) {
    this.padded = options.shapeBuckets === true && !bound.hasBatchNorm;
    this.rowsFor = this.padded ? (n) => this.reuseRows(n) : (n) => n;
  }

  /** Whether batches are padded to shape buckets (bucket.ts). */
  private readonly padded: boolean;
  /** Padded row counts this trainer has run (their WebGL programs are compiled). */
  private readonly compiledRows = new Set<number>();

  /**
   * The rows for n samples: the smallest already-compiled size that holds
   * them with at most twice the padding of n's own bucket (or 32 rows), else
   * n's bucket, compiled now. A shard cut to a new size then mostly reuses a
   * program from warm-up instead of stalling the worker for a compile (~1 s
   * on SwiftShader with four tabs, long enough to look silent).
   */
  private reuseRows(n: number): number {
    const own = bucketSize(n);
    if (this.compiledRows.has(own)) return own;
    let best = Infinity;
    for (const c of this.compiledRows) if (c >= n && c <= Math.max(2 * own, 32) && c < best) best = c;
    if (best < Infinity) return best;
    this.compiledRows.add(own);
    return own;
  }

  static async create(
    topology: Record<string, unknown>,
    specs: readonly WeightSpec[],
    dataset: Dataset,
    loss: LossName,
    options: TrainerOptions = {},
  ): Promise<Trainer> {
    const bound = await buildModel(topology, specs);
    const shape = bound.model.outputs[0]!.shape;
    const units = shape[shape.length - 1] ?? 1;
    return new this(bound, dataset, loss, units, options);
  }

  get weightsVersion(): number {
    return this.version;
  }

  /** Installs the coordinator's weights: trainable values, then non-trainable state. */
  setWeights(version: number, flat: Float32Array): void {
    const t = this.bound.trainableSize;
    if (flat.length !== t + this.bound.stateSize) {
      throw new Error(`weights have ${flat.length} values, the model needs ${t + this.bound.stateSize}`);
    }
    assignFlat(this.bound.trainable, flat.subarray(0, t));
    assignFlat(this.bound.state, flat.subarray(t));
    this.version = version;
  }

  /** The gradient sum of a shard; with `augmentSeed`, image samples are shifted and rotated first (augment.ts). */
  gradient(indices: Uint32Array, augmentSeed: number | null = null): Promise<ShardGradient> {
    return shardGradient(this.bound, this.dataset, this.loss, indices, this.outputUnits, this.rowsFor(indices.length), augmentSeed);
  }

  /** --mode local: H inner steps of `plan`, the weight change x count; the model's weights are unchanged afterwards. */
  localSteps(plan: LocalPlan, augmentSeed: number | null = null, inner: InnerOptimizerHolder = this.inner): Promise<LocalResult> {
    return localSteps(this.bound, this.dataset, this.loss, plan.steps, plan.inner, inner, this.outputUnits, this.rowsFor, augmentSeed);
  }

  /** Whether the last local task started fresh inner optimizer state. */
  get innerFresh(): boolean {
    return this.inner.fresh;
  }

  /** A (re)joining peer starts fresh inner optimizer state. */
  resetInner(): void {
    this.inner.dispose();
  }

  evaluate(indices: Uint32Array): Promise<ShardEvaluation> {
    return evaluateShard(this.bound, this.dataset, this.loss, indices, this.outputUnits, this.rowsFor);
  }

  /** Class probabilities (or regression outputs) for raw inputs, e.g. a digit drawn on the pad. */
  predict(inputs: Float32Array): Float32Array {
    return tf.tidy(() => {
      const x = tf.tensor(inputs, [1, ...this.dataset.meta.inputShape]);
      return (this.bound.model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    });
  }

  /**
   * Times the gradient at two shard sizes (best of two, after a first call
   * that compiles the WebGL shaders) to fit cost = overhead + n / samplesPerSec:
   * the coordinator sizes our shards by that model. The large size is the
   * shard we expect (WELCOME's shardSizes[0]; 128 without one), the small a
   * quarter of it; the other expected sizes are computed once each, so their
   * shaders are compiled before training rather than in the middle of a
   * step. The model's batch-norm state is restored afterwards, so warm-up
   * changes nothing.
   */
  async warmup(expected: readonly number[] = []): Promise<{ samplesPerSec: number; overheadMs: number; warmupMs: number }> {
    const train = this.dataset.meta.splits.train;
    const nLarge = Math.max(1, Math.min(expected[0] ?? 128, train));
    const nSmall = Math.max(1, Math.min(16, Math.floor(nLarge / 4)));
    const saved = this.bound.state.map((v) => tf.clone(v));
    const t0 = now();
    const indices = (n: number): Uint32Array => new Uint32Array(n).map((_, i) => i);
    const time = async (n: number): Promise<number> => {
      const idx = indices(n);
      let best = Infinity;
      for (let k = 0; k < 3; k++) {
        const s = now();
        await this.gradient(idx);
        if (k > 0) best = Math.min(best, now() - s); // the first call compiles
      }
      return best;
    };
    const ms1 = await time(nSmall);
    const ms2 = nLarge > nSmall ? await time(nLarge) : ms1;
    const compiled = new Set([this.rowsFor(nSmall), this.rowsFor(nLarge)]);
    for (const n of expected.slice(1).map((x) => Math.max(1, Math.min(x, train)))) {
      // The expected sizes get their own buckets (no padding to a reused one: they are the likely steady state).
      if (this.padded) this.compiledRows.add(bucketSize(n));
      if (compiled.has(this.rowsFor(n))) continue;
      compiled.add(this.rowsFor(n));
      await this.gradient(indices(n));
    }
    this.bound.state.forEach((v, i) => v.assign(saved[i]!));
    saved.forEach((s) => s.dispose());
    const perSample = nLarge > nSmall ? Math.max(1e-3, (ms2 - ms1) / (nLarge - nSmall)) : ms1 / nSmall;
    const overheadMs = Math.max(0, ms2 - perSample * nLarge);
    return { samplesPerSec: 1000 / perSample, overheadMs, warmupMs: now() - t0 };
  }

  dispose(): void {
    this.inner.dispose();
    this.bound.model.dispose();
  }
}

export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
