import { fail } from '../../shared/errors';
import type { Dataset, DatasetTask, RawDataset } from '../../shared/data/dataset';
import { normalizeDataset, type NormalizationKind, type NormalizationStats } from '../../shared/data/normalize';
import { DEFAULT_SPLIT, splitDataset, type SplitRatios } from '../../shared/data/split';
import { isSyntheticName, syntheticDataset } from '../../shared/data/synthetic';
import { DATASET_SPEC_FORMS } from './forms';
import { loadCsv, loadCsvWithTest } from './csv';
import { loadIdxDir } from './idx';
import { loadEmbeddedMnist } from './mnist';
import { loadIris } from './iris';
import { loadNames, loadTextFile } from './text';

const DEFAULT_SEQ_LEN = 16;

export interface LoadOptions {
  /** Seeds the split (and a synthetic set's points). */
  seed: number;
  /** train/val/test fractions; default 0.8/0.1/0.1. */
  split?: SplitRatios;
  /** Synthetic sets only. */
  samples?: number;
  noise?: number;
  /** CSV only: label column name or 0-based index (default: the last column). */
  label?: string | number;
  /** CSV only: force the task instead of inferring it from the labels. */
  task?: DatasetTask;
  /** CSV only: a separate test file, used as the test split as it is. */
  testFile?: string;
  normalize?: NormalizationKind;
  /** Text sets: characters per window (the character model's --seq-len). */
  seqLen?: number;
  /** The autoencoder's data: the target of each sample is its own input. */
  reconstruct?: boolean;
}

export { DATASET_SPEC_FORMS };

function loadRaw(spec: string, o: LoadOptions): RawDataset {
  if (o.testFile && !spec.startsWith('csv:')) {
    throw fail('CONFIG_INVALID', `test-file: only a csv:FILE dataset takes a separate test file (idx:DIR uses its t10k-* files), not ${JSON.stringify(spec)}`);
  }
  if (spec === 'mnist') return loadEmbeddedMnist();
  if (spec === 'iris') return loadIris();
  if (isSyntheticName(spec)) return syntheticDataset(spec, { seed: o.seed, ...(o.samples !== undefined ? { samples: o.samples } : {}), ...(o.noise !== undefined ? { noise: o.noise } : {}) });
  if (spec.startsWith('idx:') && spec.length > 4) return loadIdxDir(spec.slice(4));
  if (spec.startsWith('csv:') && spec.length > 4) return o.testFile ? loadCsvWithTest(spec.slice(4), o.testFile, o.label, o.task) : loadCsv(spec.slice(4), o.label, o.task);
  throw fail('CONFIG_INVALID', `unknown dataset ${JSON.stringify(spec)}: expected one of ${DATASET_SPEC_FORMS.join(' | ')}`);
}

/**
 * The coordinator's one entry to data: load by spec, split by seed into
 * train/val/test, then normalise with training statistics if asked. The
 * stats come back so the exported model can apply the same transform.
 */
export async function loadDatasetSpec(spec: string, o: LoadOptions): Promise<{ dataset: Dataset; normalization: NormalizationStats | null }> {
  if (spec === 'names' || (spec.startsWith('text:') && spec.length > 5)) {
    if (o.testFile) throw fail('CONFIG_INVALID', `test-file: only a csv:FILE dataset takes a separate test file, not ${JSON.stringify(spec)}`);
    const seqLen = o.seqLen ?? DEFAULT_SEQ_LEN;
    const dataset = spec === 'names' ? loadNames(seqLen, o.split ?? DEFAULT_SPLIT, o.seed) : loadTextFile(spec.slice(5), seqLen, o.split ?? DEFAULT_SPLIT);
    return { dataset, normalization: null };
  }
  const raw = loadRaw(spec, o);
  if (o.reconstruct) {
    if (raw.featureType !== 'u8') throw fail('CONFIG_INVALID', `model: the autoencoder reconstructs pixel values in [0, 1]; dataset ${raw.name} has f32 features (use mnist or idx:DIR)`);
    const split = splitDataset(raw, o.split ?? DEFAULT_SPLIT, o.seed);
    return { dataset: { ...split, meta: { ...split.meta, task: 'reconstruction' } }, normalization: null };
  }
  const split = splitDataset(raw, o.split ?? DEFAULT_SPLIT, o.seed);
  return normalizeDataset(split, o.normalize ?? 'none');
}
