import type { Dataset, DatasetMeta } from '../../shared/data/dataset';

/**
 * Targets of the tasks beyond one label per sample (batch.ts gathers the
 * rest): an autoencoder's target is its input; a character model's is the
 * next character at every position, one-hot over the vocabulary.
 */

/** The shape of one sample's target: [units], or [positions, vocabulary] for a sequence. */
export function targetShape(meta: DatasetMeta, outputUnits: number): number[] {
  return meta.task === 'sequence' ? [meta.inputShape[0]!, outputUnits] : [outputUnits];
}

/** One-hot next-character targets, [n, T, V] flattened. */
export function gatherSequenceTargets(ds: Dataset, indices: Uint32Array, vocab: number): Float32Array {
  const t = ds.meta.inputShape[0]!;
  const out = new Float32Array(indices.length * t * vocab);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]! * t;
    for (let p = 0; p < t; p++) out[(i * t + p) * vocab + ds.labels[src + p]!] = 1;
  }
  return out;
}
