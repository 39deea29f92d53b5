import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDatasetSpec } from '../../coordinator/datasets/load';
import { exportModel } from '../../coordinator/model/export';
import { buildReport } from '../../coordinator/report';
import { Rng } from '../../shared/data/rng';
import { startHarness } from '../integration/harness';

/**
 * Data sets used as their files say: the t10k-* IDX files (or a CSV
 * --test-file) ARE the test split, never pooled and re-split; validation
 * comes from the training file only; the report says which file each split
 * came from; and the exported model, scored by plain tfjs on the t10k files
 * alone, gives the test accuracy the report states.
 */
const root = mkdtempSync(join(tmpdir(), 'tabtrain-heldout-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SIDE = 6;
const CLASSES = 3;

/** An IDX file of u8: magic 0x0000 08 ndims, dims as u32 BE, then the data. */
function idx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const dv = new DataView(out.buffer);
  out.set([0, 0, 8, dims.length]);
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** n noisy images: class k lights rows 2k and 2k+1, plus noise, so a linear model learns it but not perfectly. */
function digits(n: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * SIDE * SIDE);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.nextU32() % CLASSES;
    labels[i] = k;
    for (let p = 0; p < SIDE * SIDE; p++) {
      const row = Math.floor(p / SIDE);
      const lit = row === 2 * k || row === 2 * k + 1 ? 120 : 0;
      images[i * SIDE * SIDE + p] = Math.min(255, lit + (rng.nextU32() % 160));
    }
  }
  return { images, labels };
}

function writeIdxDir(name: string, nTrain: number, nTest: number): { dir: string; test: ReturnType<typeof digits> } {
  const dir = join(root, name);
  mkdirSync(dir);
  const train = digits(nTrain, 1);
  const test = digits(nTest, 2);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx([nTrain, SIDE, SIDE], train.images));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([nTrain], train.labels));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx([nTest, SIDE, SIDE], test.images));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx([nTest], test.labels));
  return { dir, test };
}

describe('idx:DIR keeps t10k as the test set', () => {
  it('the split sizes: test = the t10k count, validation cut from train-* only, in the ratio train : val', async () => {
    const { dir, test } = writeIdxDir('sizes', 200, 37);
    const { dataset } = await loadDatasetSpec(`idx:${dir}`, { seed: 3, split: [0.8, 0.1, 0.1] });
    // 200 training-file samples at 0.8 : 0.1 -> 178 / 22; the 37 t10k samples are the test split, in file order.
    expect(dataset.meta.splits).toEqual({ train: 178, val: 22, test: 37 });
    const d = SIDE * SIDE;
    expect(Array.from(dataset.features.subarray(237 * d - 37 * d))).toEqual(Array.from(test.images));
    expect(Array.from(dataset.labels.subarray(200))).toEqual(Array.from(test.labels));
    expect(dataset.meta.sources?.test).toMatch(/^t10k-images-idx3-ubyte \+ t10k-labels-idx1-ubyte: all 37 samples/);
    expect(dataset.meta.sources?.val).toMatch(/^train-images-idx3-ubyte \+ train-labels-idx1-ubyte: the other 22 of its 200/);
  });

  it('a run reports test metrics on exactly the t10k files, and plain tfjs scoring the export on them agrees', async () => {
    const { dir, test } = writeIdxDir('run', 300, 41);
    const h = await startHarness({ dataset: `idx:${dir}`, model: 'logreg', lr: 0.05, batchSize: 32, epochs: 4, minPeers: 2 }, 2);
    try {
      expect(await h.done).toBe('completed');
      const report = buildReport(h.c.run, 1) as { dataset: { test: number; sources: { test: string } }; evals: { split: string; metrics: { confusion: number[][] } }[] };
      expect(report.dataset.test).toBe(41);
      expect(report.dataset.sources.test).toContain('t10k-images-idx3-ubyte');
      const testEval = report.evals.find((e) => e.split === 'test')!;
      expect(testEval.metrics.confusion.flat().reduce((a, b) => a + b, 0)).toBe(41);
      const reported = h.c.run.evaluator.final.testAccuracy!;

      const out = join(root, 'export');
      const s = h.prepared.setup;
      await exportModel(out, s.model, h.c.run.store.weights, s.normalization);
      // As a user would: plain tfjs, the export's files, the t10k bytes scaled by 1/255.
      const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
      const bin = readFileSync(join(out, 'weights.bin'));
      const model = await tf.loadLayersModel(
        tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }),
      );
      const x = tf.tensor4d(Float32Array.from(test.images, (v) => v / 255), [41, SIDE, SIDE, 1]);
      const predicted = tf.tidy(() => (model.predict(x) as tf.Tensor).argMax(-1).dataSync());
      let correct = 0;
      for (let i = 0; i < 41; i++) if (predicted[i] === test.labels[i]) correct++;
      expect(correct / 41).toBeCloseTo(reported, 6);
      // and the task is learnable but not trivial here: a score that means something
      expect(reported).toBeGreaterThan(0.6);
      x.dispose();
      model.dispose();
    } finally {
      await h.close();
    }
  });
});

describe('csv --test-file', () => {
  const rows = (n: number, seed: number): string[] => {
    const rng = new Rng(seed);
    return Array.from({ length: n }, () => {
      const a = (rng.nextU32() % 1000) / 100;
      return `${a},${a > 5 ? 'big' : 'small'}`;
    });
  };

  it('the test file is the test split; validation comes from the training file; classes are numbered over both', async () => {
    const trainFile = join(root, 'train.csv');
    const testFile = join(root, 'test.csv');
    writeFileSync(trainFile, ['v,size', ...rows(50, 1)].join('\n'));
    writeFileSync(testFile, ['v,size', '9.5,big', '0.5,small', '7,big'].join('\n') + '\n');
    const { dataset } = await loadDatasetSpec(`csv:${trainFile}`, { seed: 1, label: 'size', testFile, split: [0.6, 0.2, 0.2] });
    expect(dataset.meta.splits).toEqual({ train: 38, val: 12, test: 3 });
    expect(Array.from(dataset.features.subarray(50))).toEqual([9.5, 0.5, 7]);
    expect(dataset.meta.classNames).toEqual(['big', 'small']);
    expect(Array.from(dataset.labels.subarray(50))).toEqual([0, 1, 0]);
    expect(dataset.meta.sources).toEqual({
      train: 'train.csv: 38 of its 50 samples, by seed',
      val: 'train.csv: the other 12 of its 50 samples',
      test: 'test.csv: all 3 samples, in file order',
    });
  });

  it('refuses a test file with other columns, naming both files', async () => {
    const trainFile = join(root, 'a.csv');
    const testFile = join(root, 'b.csv');
    writeFileSync(trainFile, ['v,size', ...rows(10, 1)].join('\n'));
    writeFileSync(testFile, ['w,size', '1,small'].join('\n'));
    await expect(loadDatasetSpec(`csv:${trainFile}`, { seed: 1, label: 'size', testFile })).rejects.toMatchObject({ code: 'DATA_INVALID', message: expect.stringMatching(/b\.csv header.*a\.csv/) });
  });

  it('refuses --test-file on a dataset that is not CSV', async () => {
    await expect(loadDatasetSpec('mnist', { seed: 1, testFile: 'x.csv' })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('test-file') });
  });
});
