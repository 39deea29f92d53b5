import { fail } from '../errors';
import type { Dataset, DatasetMeta, SplitSources } from './dataset';

/**
 * Text as a sequence dataset for a character model. The vocabulary is the
 * characters of the TRAINING text, sorted by code point (so "\n", the
 * separator of a list of names, comes first); characters of the validation
 * or test text outside it are dropped, and counted. Each split's text is cut
 * into windows of T + 1 characters overlapping by one: the window's first T
 * characters are a sample's inputs, its last T the targets (the next
 * character at each position).
 */
export interface TextSplits {
  train: string;
  val: string;
  test: string;
}

export function buildVocabulary(text: string): string[] {
  return [...new Set(Array.from(text))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
}

/** Token ids of `text` in `vocab`; characters outside it are skipped and counted. */
export function encodeText(text: string, vocab: readonly string[]): { ids: number[]; dropped: number } {
  const index = new Map(vocab.map((c, i) => [c, i]));
  const ids: number[] = [];
  let dropped = 0;
  for (const ch of text) {
    const id = index.get(ch);
    if (id === undefined) dropped++;
    else ids.push(id);
  }
  return { ids, dropped };
}

export function decodeText(ids: Iterable<number>, vocab: readonly string[]): string {
  let s = '';
  for (const id of ids) s += vocab[id] ?? '';
  return s;
}

/** Number of windows of T inputs (+1 target) in `length` characters. */
export const windowCount = (length: number, seqLen: number): number => Math.max(0, Math.floor((length - 1) / seqLen));

export function textDataset(name: string, splits: TextSplits, seqLen: number, describe: (split: keyof TextSplits, chars: number, windows: number, dropped: number) => string): Dataset {
  const vocab = buildVocabulary(splits.train);
  if (vocab.length < 2) throw fail('DATA_INVALID', `${name}: the training text has ${vocab.length} distinct character(s); a language model needs at least 2`);
  if (vocab.length > 65536) throw fail('DATA_INVALID', `${name}: ${vocab.length} distinct characters, at most 65536 fit`);
  const parts = (['train', 'val', 'test'] as const).map((k) => ({ k, ...encodeText(splits[k], vocab) }));
  const counts = parts.map((p) => windowCount(p.ids.length, seqLen));
  if (counts[0] === 0) throw fail('DATA_INVALID', `${name}: the training text has ${parts[0]!.ids.length} characters, fewer than one window of --seq-len ${seqLen} + 1`);
  const total = counts.reduce((a, b) => a + b, 0);
  const features = new Float32Array(total * seqLen);
  const labels = new Uint16Array(total * seqLen);
  let sample = 0;
  parts.forEach((p, s) => {
    for (let w = 0; w < counts[s]!; w++, sample++) {
      for (let q = 0; q < seqLen; q++) {
        features[sample * seqLen + q] = p.ids[w * seqLen + q]!;
        labels[sample * seqLen + q] = p.ids[w * seqLen + q + 1]!;
      }
    }
  });
  const sources: SplitSources = {
    train: describe('train', parts[0]!.ids.length, counts[0]!, parts[0]!.dropped),
    val: describe('val', parts[1]!.ids.length, counts[1]!, parts[1]!.dropped),
    test: describe('test', parts[2]!.ids.length, counts[2]!, parts[2]!.dropped),
  };
  const meta: DatasetMeta = {
    name,
    task: 'sequence',
    inputShape: [seqLen],
    numClasses: vocab.length,
    featureType: 'f32',
    splits: { train: counts[0]!, val: counts[1]!, test: counts[2]! },
    classNames: vocab,
    sources,
  };
  return { meta, features, labels };
}
