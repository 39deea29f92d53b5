import { fail } from '../errors';
import { sampleSize, splitRange, type Dataset } from './dataset';

/**
 * Per-feature normalisation of f32 features, with statistics from the
 * TRAINING split only (validation and test are then transformed with the
 * same numbers, as unseen data will be). The stats are plain arrays so the
 * exported model can embed them and apply the same transform at inference:
 *
 *   zscore: x' = (x - mean) / std      std is the population std; 0 -> 1
 *   minmax: x' = (x - min) / (max - min)   into [0, 1] on train; range 0 -> 1
 *
 * A constant feature thus maps to 0 rather than NaN.
 */
export type NormalizationKind = 'none' | 'zscore' | 'minmax';

export type NormalizationStats =
  | { kind: 'zscore'; mean: number[]; std: number[] }
  | { kind: 'minmax'; min: number[]; max: number[] };

function trainF32(ds: Dataset, kind: string): { f: Float32Array; d: number; start: number; end: number } {
  if (!(ds.features instanceof Float32Array)) {
    throw fail('CONFIG_INVALID', `normalize ${kind} applies to f32 features; ${ds.meta.name} has u8 image features (scaled to [0, 1] on the peers): use normalize none`);
  }
  const { start, end } = splitRange(ds.meta, 'train');
  if (end === start) throw fail('CONFIG_INVALID', `normalize ${kind}: ${ds.meta.name} has no training samples to take statistics from`);
  return { f: ds.features, d: sampleSize(ds.meta), start, end };
}

export function computeNormalization(ds: Dataset, kind: 'zscore' | 'minmax'): NormalizationStats {
  const { f, d, start, end } = trainF32(ds, kind);
  const n = end - start;
  if (kind === 'zscore') {
    const mean = new Array<number>(d).fill(0);
    const sq = new Array<number>(d).fill(0);
    for (let i = start; i < end; i++) for (let j = 0; j < d; j++) mean[j] += f[i * d + j]!;
    for (let j = 0; j < d; j++) mean[j] = mean[j]! / n;
    // two passes: the one-pass E[x^2] - E[x]^2 cancels badly for large offsets
    for (let i = start; i < end; i++) for (let j = 0; j < d; j++) sq[j] += (f[i * d + j]! - mean[j]!) ** 2;
    const std = sq.map((s) => Math.sqrt(s / n) || 1);
    return { kind, mean, std };
  }
  const min = new Array<number>(d).fill(Infinity);
  const max = new Array<number>(d).fill(-Infinity);
  for (let i = start; i < end; i++) {
    for (let j = 0; j < d; j++) {
      const v = f[i * d + j]!;
      if (v < min[j]!) min[j] = v;
      if (v > max[j]!) max[j] = v;
    }
  }
  return { kind, min, max };
}

/** Applies the transform in place to row-major samples of `stats`' width (a batch, or a whole dataset). */
export function applyNormalizationInPlace(values: Float32Array, stats: NormalizationStats): void {
  const [shift, divisor] = stats.kind === 'zscore' ? [stats.mean, stats.std] : [stats.min, stats.max.map((hi, j) => hi - stats.min[j]! || 1)];
  const d = shift.length;
  if (values.length % d !== 0) throw fail('INTERNAL', `normalization over ${d} features given ${values.length} values`);
  for (let i = 0; i < values.length; i += d) for (let j = 0; j < d; j++) values[i + j] = (values[i + j]! - shift[j]!) / divisor[j]!;
}

/** A new dataset with normalised features (train statistics), and the stats; `none` returns the input and null. */
export function normalizeDataset(ds: Dataset, kind: NormalizationKind): { dataset: Dataset; normalization: NormalizationStats | null } {
  if (kind === 'none') return { dataset: ds, normalization: null };
  const stats = computeNormalization(ds, kind);
  const features = new Float32Array(ds.features);
  applyNormalizationInPlace(features, stats);
  return { dataset: { meta: ds.meta, features, labels: ds.labels }, normalization: stats };
}
