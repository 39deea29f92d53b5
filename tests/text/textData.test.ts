import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDatasetSpec } from '../../coordinator/datasets/load';
import { decodeDataset, encodeDataset } from '../../shared/data/codec';
import { Rng } from '../../shared/data/rng';
import { draw, sampleText } from '../../shared/data/sampleText';
import { decodeText, textDataset } from '../../shared/data/text';

const root = mkdtempSync(join(tmpdir(), 'tabtrain-text-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('text as windows of characters', () => {
  it('vocabulary from the training text only; windows of T inputs and the next T characters; unseen characters dropped and counted', () => {
    const ds = textDataset('t', { train: 'abcab\nab', val: 'abz\nab', test: 'ba\nb' }, 3, (k, n, w, dropped) => `${k}:${n}:${w}:${dropped}`);
    expect(ds.meta.classNames).toEqual(['\n', 'a', 'b', 'c']);
    // train: 8 chars -> floor(7 / 3) = 2 windows; val: "ab\nab" (z dropped) 5 chars -> 1; test 4 chars -> 1
    expect(ds.meta.splits).toEqual({ train: 2, val: 1, test: 1 });
    expect(ds.meta.sources).toEqual({ train: 'train:8:2:0', val: 'val:5:1:1', test: 'test:4:1:0' });
    const vocab = ds.meta.classNames!;
    expect(decodeText(ds.features.subarray(0, 3), vocab)).toBe('abc');
    expect(decodeText(ds.labels.subarray(0, 3), vocab)).toBe('bca');
    expect(decodeText(ds.features.subarray(3, 6), vocab)).toBe('ab\n');
    expect(decodeText(ds.labels.subarray(3, 6), vocab)).toBe('b\na');
    // survives the wire format
    const back = decodeDataset(encodeDataset(ds));
    expect(back.meta).toEqual(ds.meta);
    expect(Array.from(back.labels)).toEqual(Array.from(ds.labels));
  });

  it('text:FILE splits by position and reads UTF-8', async () => {
    const file = join(root, 'poem.txt');
    writeFileSync(file, 'the sun, the sea — été\n'.repeat(20));
    const { dataset } = await loadDatasetSpec(`text:${file}`, { seed: 1, seqLen: 8 });
    expect(dataset.meta.task).toBe('sequence');
    expect(dataset.meta.classNames).toContain('é');
    expect(dataset.meta.classNames).toContain('—');
    expect(dataset.meta.sources?.test).toMatch(/^poem\.txt: characters 414\.\.460 of 460/);
  });

  it('names: ~8,400 lower-case names, split by name', async () => {
    const { dataset } = await loadDatasetSpec('names', { seed: 1, seqLen: 8 });
    expect(dataset.meta.classNames![0]).toBe('\n');
    expect(dataset.meta.classNames).toContain('z');
    expect(dataset.meta.sources?.train).toMatch(/: \d+ of 8422 names by seed/);
  });
});

describe('sampleText', () => {
  const vocab = ['\n', 'a', 'b'];
  // A fake model: after "a" say "b", after "b" say "a" or stop, from the window's last id.
  const next = (w: Float32Array): Float32Array => (w[w.length - 1] === 1 ? Float32Array.from([0, 0, 1]) : w[w.length - 1] === 2 ? Float32Array.from([0.5, 0.5, 0]) : Float32Array.from([0, 1, 0]));

  it('starts after a line break, continues the prefix, stops at a line break; same seed, same text', () => {
    const a = sampleText(next, { vocab, seqLen: 4, prefix: 'ab', seed: 7, temperature: 1 });
    expect(a).toMatch(/^ab(ab)*$/);
    expect(sampleText(next, { vocab, seqLen: 4, prefix: 'ab', seed: 7, temperature: 1 })).toBe(a);
    expect(sampleText(next, { vocab, seqLen: 4, seed: 3, temperature: 0 })).toBe('ab'); // greedy: the tie goes to the first, "\n"
    expect(sampleText(next, { vocab, seqLen: 4, seed: 3, maxChars: 5, stopAt: null, temperature: 0 })).toBe('ab\nab');
  });

  it('temperature: 0 takes the most likely; low sharpens; high flattens toward uniform', () => {
    const p = Float32Array.from([0.1, 0.6, 0.3]);
    const freq = (t: number): number[] => {
      const rng = new Rng(1);
      const c = [0, 0, 0];
      for (let i = 0; i < 4000; i++) c[draw(p, t, rng)]!++;
      return c.map((x) => x / 4000);
    };
    expect(freq(0)).toEqual([0, 1, 0]);
    const one = freq(1);
    expect(one[1]).toBeCloseTo(0.6, 1);
    expect(freq(0.25)[1]).toBeGreaterThan(0.9); // 0.6^4 / (0.1^4 + 0.6^4 + 0.3^4) = 0.94
    expect(freq(100)[0]).toBeGreaterThan(0.3); // nearly uniform
  });
});
