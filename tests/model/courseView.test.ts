import { afterEach, describe, expect, it } from 'vitest';
import { nextCharFrom } from '../../client/trainer/textModel';
import { buildWithWeights } from '../../coordinator/model/export';
import { CourseViewSource } from '../../coordinator/model/view/courseView';
import { TEXT_SEEDS, TEXT_TEMPERATURE } from '../../coordinator/model/view/textView';
import type { AutoencoderView, ProjectionView, TextView } from '../../coordinator/model/view/types';
import { sampleText } from '../../shared/data/sampleText';
import { startHarness, type Harness } from '../integration/harness';

/**
 * GET /api/course's pictures, computed from a real run's weights across node
 * peers: iris's decision regions in cm on the petal and sepal projections,
 * the text panel's names (exactly what `tabtrain sample` prints for the same
 * weights and seeds), an autoencoder's reconstructions and 2-D codes.
 */
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function trained(config: Parameters<typeof startHarness>[0]): Promise<Harness> {
  h = await startHarness({ minPeers: 2, ...config }, 2);
  expect(await h.done).toBe('completed');
  return h;
}

describe('course views', () => {
  it('iris: petal length x petal width and sepal length x sepal width, in cm, the other two at their means; a trained SVM separates the species', async () => {
    const r = await trained({ dataset: 'iris', model: 'svm', l2: 0.001, normalize: 'zscore', lr: 0.05, batchSize: 16, epochs: 10, split: [0.6, 0.2, 0.2] });
    const v = (await new CourseViewSource(r.c.run).get()) as ProjectionView;
    expect(v.kind).toBe('projections');
    expect(v.panels.map((p) => `${p.yName} / ${p.xName}`)).toEqual(['petal width (cm) / petal length (cm)', 'sepal width (cm) / sepal length (cm)']);
    const petal = v.panels[0]!;
    // raw cm, not z-scores: petal length runs from about 1 to 7 cm
    expect(petal.extent[0]).toBeGreaterThan(0.3);
    expect(petal.extent[1]).toBeGreaterThan(6.5);
    expect(v.held[0]!.map((x) => x.name)).toEqual(['sepal length (cm)', 'sepal width (cm)']);
    expect(v.held[0]![0]!.value).toBeGreaterThan(5.5); // sepal length mean 5.84 cm
    expect(v.held[0]![0]!.value).toBeLessThan(6.2);
    // On the petal panel every species owns a region, and most training points lie in their own colour.
    expect(new Set(petal.cls).size).toBe(3);
    const cellOf = (x: number, y: number): number => {
      const [x0, x1, y0, y1] = petal.extent;
      const c = Math.min(petal.grid - 1, Math.floor(((x - x0) / (x1 - x0)) * petal.grid));
      const row = Math.min(petal.grid - 1, Math.floor(((y1 - y) / (y1 - y0)) * petal.grid));
      return petal.cls[row * petal.grid + c]!;
    };
    const agree = petal.points.filter(([x, y, c]) => cellOf(x, y) === c).length / petal.points.length;
    expect(agree).toBeGreaterThan(0.85);
  }, 300_000);

  it('text: five names at the coordinator weights, the same as sampleText with seeds 1-5; kept at earlier steps', async () => {
    const r = await trained({ dataset: 'names', model: 'charrnn', cell: 'simplernn', units: 16, seqLen: 8, batchSize: 64, lr: 0.02, steps: 4, split: [0.9, 0.05, 0.05] });
    let t = 0;
    const source = new CourseViewSource(r.c.run, () => t);
    const v = (await source.get()) as TextView;
    expect(v.kind).toBe('text');
    expect(v.snapshots).toHaveLength(1);
    expect(v.snapshots[0]!.step).toBe(4);
    const s = r.prepared.setup;
    const model = await buildWithWeights(s.model, r.c.run.store.weights);
    const expected = TEXT_SEEDS.map((seed) => sampleText(nextCharFrom(model), { vocab: s.dataset.meta.classNames!, seqLen: 8, temperature: TEXT_TEMPERATURE, seed, maxChars: 24 }));
    model.dispose();
    expect(v.snapshots[0]!.samples).toEqual(expected);
    expect(v.novel).not.toBeNull();
    // The same weights: the same answer, not recomputed.
    t = 10_000;
    expect(await source.get()).toBe(v);
  }, 300_000);

  it('autoencoder --bottleneck 2: ten test digits and their reconstructions, 600 codes coloured by digit', async () => {
    const r = await trained({ model: 'autoencoder', hidden: [32], bottleneck: 2, batchSize: 64, steps: 3, lr: 0.01 });
    const v = (await new CourseViewSource(r.c.run).get()) as AutoencoderView;
    expect(v.kind).toBe('autoencoder');
    expect(v.size).toEqual([28, 28]);
    expect(v.inputs).toHaveLength(10);
    expect(v.outputs).toHaveLength(10);
    expect(v.inputs[0]).toHaveLength(784);
    expect(v.outputs.flat().every((p) => p >= 0 && p <= 255)).toBe(true);
    expect(v.mse).toBeGreaterThan(0);
    expect(v.codes).toHaveLength(600);
    expect(new Set(v.codes!.map((c) => c[2])).size).toBe(10);
  }, 300_000);
});
