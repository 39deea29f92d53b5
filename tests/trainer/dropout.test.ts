import '../../coordinator/tfjsNode';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../client/trainer/trainer';
import { prepareRun } from '../../coordinator/setup';
import { parseConfig } from '../../shared/config/parse';
import { maxAbsDiff } from '../integration/reference';

describe('dropout', () => {
  it('is active when a tab computes gradients (a fresh mask each call) and off in evaluation', async () => {
    const { setup: s } = await prepareRun(parseConfig({ dataset: 'circles', samples: 200, hidden: [64], dropout: 0.5 }));
    const t = await Trainer.create(s.model.topology, s.model.specs, s.dataset, s.loss);
    t.setWeights(0, s.model.initial);
    const idx = Uint32Array.from({ length: 32 }, (_, i) => i);
    const a = await t.gradient(idx);
    const b = await t.gradient(idx);
    expect(maxAbsDiff(a.grad, b.grad)).toBeGreaterThan(1e-4);
    const e1 = await t.evaluate(idx);
    const e2 = await t.evaluate(idx);
    expect(e2.lossSum).toBe(e1.lossSum);
    t.dispose();
  });
});
