/**
 * The in-memory dataset every part shares: the coordinator builds it, encodes
 * it once into an immutable binary file (`/data/<hash>`), and tabs and node
 * peers decode the same bytes. Samples are stored split-contiguous: indices
 * [0, train) are the training split, then validation, then test.
 */
/**
 * What the labels are and what a model predicts from the features:
 * - classification: one class per sample (u16);
 * - regression: numClasses float targets per sample;
 * - reconstruction: the target is the input itself (autoencoder); the u16
 *   class labels stay, for colouring the codes;
 * - sequence: features are inputShape[0] token ids per sample (f32) and the
 *   labels the next token at each position (u16, inputShape[0] per sample);
 *   numClasses is the vocabulary size and classNames its characters.
 */
export type DatasetTask = 'classification' | 'regression' | 'reconstruction' | 'sequence';
export const DATASET_TASKS = ['classification', 'regression', 'reconstruction', 'sequence'] as const satisfies readonly DatasetTask[];

/** Label values per sample: one class, numClasses targets, or one token per position. */
export function labelsPerSample(meta: Pick<DatasetMeta, 'task' | 'numClasses' | 'inputShape'>): number {
  if (meta.task === 'regression') return meta.numClasses;
  if (meta.task === 'sequence') return meta.inputShape[0]!;
  return 1;
}

/** Labels are class or token indices (u16), except regression's float targets. */
export const hasIndexLabels = (task: DatasetTask): boolean => task !== 'regression';

export interface DatasetMeta {
  /** Shown to people: "mnist", "spiral", "csv:iris.csv". */
  name: string;
  task: DatasetTask;
  /** Shape of one input, e.g. [28, 28, 1] for MNIST, [2] for the 2-D sets. */
  inputShape: number[];
  /** classification: number of classes; regression: number of targets. */
  numClasses: number;
  /** 'u8' features are bytes to be scaled by 1/255 (images); 'f32' are used as stored. */
  featureType: 'u8' | 'f32';
  splits: { train: number; val: number; test: number };
  /** Optional class names for reports and the dashboard. */
  classNames?: string[];
  /** Where each split came from, in words ("train-images-idx3-ubyte (first 90%)"), for the report. */
  sources?: SplitSources;
}

export interface SplitSources {
  train: string;
  val: string;
  test: string;
}

export interface Dataset {
  meta: DatasetMeta;
  /** count * prod(inputShape) values, row-major, sample after sample. */
  features: Uint8Array | Float32Array;
  /** classification: class index per sample (Uint16Array); regression: count * numClasses targets (Float32Array). */
  labels: Uint16Array | Float32Array;
}

export function sampleSize(meta: DatasetMeta): number {
  return meta.inputShape.reduce((a, b) => a * b, 1);
}

export function sampleCount(meta: DatasetMeta): number {
  return meta.splits.train + meta.splits.val + meta.splits.test;
}

export type SplitName = 'train' | 'val' | 'test';

/** The global index range [start, end) of a split. */
export function splitRange(meta: DatasetMeta, split: SplitName): { start: number; end: number } {
  const { train, val, test } = meta.splits;
  if (split === 'train') return { start: 0, end: train };
  if (split === 'val') return { start: train, end: train + val };
  return { start: train + val, end: train + val + test };
}

/**
 * A dataset as a loader produces it, before the seeded split: every sample in
 * one pool, in the loader's order. `splitDataset` turns it into a Dataset.
 */
export interface RawDataset extends Omit<DatasetMeta, 'splits' | 'sources'> {
  features: Uint8Array | Float32Array;
  labels: Uint16Array | Float32Array;
  /**
   * A test set given by its own file (IDX t10k-*, CSV --test-file): the LAST
   * `heldOut.count` samples. They are the test split as they are, never
   * pooled; validation is split from the others only.
   */
  heldOut?: { count: number; trainFile: string; testFile: string };
}

/** Samples in a raw dataset, from its labels (one per sample, or numClasses targets each for regression). */
export function rawSampleCount(raw: Pick<RawDataset, 'task' | 'numClasses' | 'labels' | 'inputShape'>): number {
  return raw.labels.length / labelsPerSample(raw);
}
