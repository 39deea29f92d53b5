import '../../coordinator/tfjsNode';
import { Trainer } from '../../client/trainer/trainer';
import { createOptimizer } from '../../shared/optim';
import { EpochSampler } from '../../coordinator/round/sampler';
import { optimizerConfig } from '../../coordinator/run/coordinator';
import type { PreparedRun } from '../../coordinator/setup';

/**
 * The single-process reference for the equivalence invariant: one trainer
 * computes the whole global batch's gradient each step, then the same
 * optimizer kernel updates the weights.
 */
export async function referenceWeights(p: PreparedRun, steps: number): Promise<Float32Array> {
  const s = p.setup;
  const trainer = await Trainer.create(s.model.topology, s.model.specs, s.dataset, s.loss);
  const weights = Float32Array.from(s.model.initial);
  const params = weights.subarray(0, s.model.trainableParams);
  const opt = createOptimizer(optimizerConfig(s.config), s.model.trainableParams);
  const sampler = new EpochSampler(s.config.seed, s.dataset.meta.splits.train, s.config.batchSize);
  const mean = new Float32Array(s.model.trainableParams);
  for (let i = 0; i < steps; i++) {
    trainer.setWeights(i, weights);
    const { indices } = sampler.next();
    const g = await trainer.gradient(indices);
    for (let j = 0; j < mean.length; j++) mean[j] = g.grad[j]! / g.count;
    opt.step(params, mean, s.lr);
  }
  trainer.dispose();
  return weights;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
