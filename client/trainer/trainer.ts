import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../shared/data/dataset';
import type { WeightSpec } from '../../shared/protocol/schemas';
import { evaluateShard, type ShardEvaluation } from './evaluate';
import { shardGradient, type ShardGradient } from './gradient';
import type { LossName } from './loss';
import { assignFlat, buildModel, type BoundModel } from './model';

/**
 * The trainer core every peer runs, in a tab (WebGL/wasm/cpu) or under Node
 * (cpu): it holds one model whose weights the coordinator sets, and computes
 * gradient sums and evaluation sums on the shards it is given. It keeps no
 * tensors between calls beyond the model's own variables.
 */
export class Trainer {
  private version = -1;

  private constructor(
    readonly bound: BoundModel,
    readonly dataset: Dataset,
    readonly loss: LossName,
    readonly outputUnits: number,
  ) {}

  static async create(topology: Record<string, unknown>, specs: readonly WeightSpec[], dataset: Dataset, loss: LossName): Promise<Trainer> {
    const bound = await buildModel(topology, specs);
    const shape = bound.model.outputs[0]!.shape;
    const units = shape[shape.length - 1] ?? 1;
    return new Trainer(bound, dataset, loss, units);
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

  gradient(indices: Uint32Array): Promise<ShardGradient> {
    return shardGradient(this.bound, this.dataset, this.loss, indices, this.outputUnits);
  }

  evaluate(indices: Uint32Array): Promise<ShardEvaluation> {
    return evaluateShard(this.bound, this.dataset, this.loss, indices, this.outputUnits);
  }

  /** Class probabilities (or regression outputs) for raw inputs, e.g. a digit drawn on the pad. */
  predict(inputs: Float32Array): Float32Array {
    return tf.tidy(() => {
      const x = tf.tensor(inputs, [1, ...this.dataset.meta.inputShape]);
      return (this.bound.model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    });
  }

  /**
   * Compiles kernels (WebGL shaders) on a first shard, then times a second:
   * the measured samples/s is what the coordinator sizes our shards by. The
   * model's batch-norm state is restored afterwards, so warm-up changes nothing.
   */
  async warmup(samples = 64): Promise<{ samplesPerSec: number; warmupMs: number }> {
    const n = Math.min(samples, this.dataset.meta.splits.train);
    const idx = new Uint32Array(n).map((_, i) => i);
    const saved = this.bound.state.map((v) => tf.clone(v));
    const t0 = now();
    await this.gradient(idx);
    const t1 = now();
    await this.gradient(idx);
    const t2 = now();
    this.bound.state.forEach((v, i) => v.assign(saved[i]!));
    saved.forEach((s) => s.dispose());
    return { samplesPerSec: n / Math.max(1e-3, (t2 - t1) / 1000), warmupMs: t2 - t0 };
  }

  dispose(): void {
    this.bound.model.dispose();
  }
}

export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
