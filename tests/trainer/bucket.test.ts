import '../../coordinator/tfjsNode';
import { describe, expect, it } from 'vitest';
import { bucketSize } from '../../client/trainer/bucket';
import { Trainer } from '../../client/trainer/trainer';
import { prepareRun } from '../../coordinator/setup';
import { parseConfig } from '../../shared/config/parse';
import { maxAbsDiff } from '../integration/reference';
import { expectedShardSizes } from '../../coordinator/round/split';

describe('shape buckets', () => {
  it('cover every size with at most 25% padding (beyond the first bucket) and few shapes', () => {
    const shapes = new Set<number>();
    for (let n = 1; n <= 4096; n++) {
      const b = bucketSize(n);
      expect(b).toBeGreaterThanOrEqual(n);
      if (n > 32) expect(b / n).toBeLessThanOrEqual(1.25);
      shapes.add(b);
    }
    expect(shapes.size).toBeLessThan(45);
  });

  it('a padded batch gives the same gradient, loss and evaluation as the unpadded one', async () => {
    const { setup: s } = await prepareRun(parseConfig({ dataset: 'mnist', model: 'mlp', samples: 2000 }));
    const plain = await Trainer.create(s.model.topology, s.model.specs, s.dataset, s.loss);
    const padded = await Trainer.create(s.model.topology, s.model.specs, s.dataset, s.loss, { shapeBuckets: true });
    plain.setWeights(0, s.model.initial);
    padded.setWeights(0, s.model.initial);
    const idx = Uint32Array.from({ length: 37 }, (_, i) => i * 3);
    expect(bucketSize(idx.length)).toBeGreaterThan(idx.length);
    const a = await plain.gradient(idx);
    const b = await padded.gradient(idx);
    expect(b.count).toBe(37);
    expect(maxAbsDiff(a.grad, b.grad)).toBeLessThan(1e-5);
    expect(b.lossSum).toBeCloseTo(a.lossSum, 4);
    const ea = await plain.evaluate(idx);
    const eb = await padded.evaluate(idx);
    expect(eb.lossSum).toBeCloseTo(ea.lossSum, 4);
    expect(Array.from(eb.confusion)).toEqual(Array.from(ea.confusion));
    plain.dispose();
    padded.dispose();
  });

  it('a joining tab is told the shard sizes to expect, and its warm-up computes each bucket once, so none compiles mid-run', async () => {
    // 128 samples a step among 3 tabs: 43 each; 32 if a fourth joins, 64 if one leaves.
    expect(expectedShardSizes(128, 3)).toEqual([43, 32, 64]);
    expect(expectedShardSizes(128, 1)).toEqual([128, 64]);
    expect(expectedShardSizes(10, 20)).toEqual([1]);
    const { setup: s } = await prepareRun(parseConfig({ dataset: 'mnist', model: 'mlp', samples: 2000 }));
    class Counting extends Trainer {
      readonly rows: number[] = [];
      override gradient(indices: Uint32Array, seed: number | null = null): ReturnType<Trainer['gradient']> {
        this.rows.push(this.rowsFor(indices.length));
        return super.gradient(indices, seed);
      }
    }
    const t = (await Counting.create(s.model.topology, s.model.specs, s.dataset, s.loss, { shapeBuckets: true })) as Counting;
    t.setWeights(0, s.model.initial);
    const speed = await t.warmup(expectedShardSizes(128, 3));
    expect(speed.samplesPerSec).toBeGreaterThan(0);
    // Timed at 43 (bucket 48) and a quarter of it (10, bucket 16), three calls each; then 32 and 64 once each.
    expect(t.rows).toEqual([16, 16, 16, 48, 48, 48, 32, 64]);
    // Mid-run, a shard cut to a new size reuses a compiled program where the padding stays small: 21 (bucket 24)
    // runs as 32, 9 (bucket 16) as 16; 100 has none that fits and compiles its own 112, reused after by 97.
    t.rows.length = 0;
    for (const n of [21, 9, 100, 97]) await t.gradient(Uint32Array.from({ length: n }, (_, i) => i));
    expect(t.rows).toEqual([32, 16, 112, 112]);
    t.dispose();
  });
});
