import '../../coordinator/tfjsNode';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../client/trainer/trainer';
import { prepareRun } from '../../coordinator/setup';
import { CLASSROOM, type Assumptions } from '../../coordinator/simulate/assumptions';
import { simulateClassroom } from '../../coordinator/simulate/classroom';
import { parseConfig } from '../../shared/config/parse';
import type { ConfigInput } from '../../shared/config/schema';

/**
 * The simulator's time model, with the link made negligible: a sync step and
 * a local round take what assumptions.ts says, worked out by hand. A local
 * task pays the task's fixed cost once and a small one per further inner step
 * (measured: a 4-step local task of a node peer took about one task's fixed
 * cost plus its samples); laptops on one shared CPU (node peers in one
 * process) queue whole tasks, fixed part included (letting that part overlap
 * predicted 0.5-0.6 of measured 2-3 peer steps).
 */
const fastLink: Assumptions = { ...CLASSROOM, msPerSample: 2, overheadMs: 50, innerStepOverheadMs: 5, spread: 1, bandwidthMbps: 1e6, latencyMs: 0 };

async function medianUpdateMs(job: ConfigInput, n: number, a: Assumptions): Promise<number> {
  const p = await prepareRun(parseConfig({ dataset: 'mnist', samples: 800, model: 'mlp', hidden: [8], batchSize: 64, seed: 2, minPeers: 1, host: '127.0.0.1', peers: 0, ...job }));
  const trainer = await Trainer.create(p.setup.model.topology, p.setup.model.specs, p.setup.dataset, p.setup.loss);
  try {
    return (await simulateClassroom(p, trainer, n, a, 2)).stepMs;
  } finally {
    trainer.dispose();
  }
}

describe('simulated time model', () => {
  it('sync, 2 laptops on their own CPUs: one task each in parallel = 50 + 32 x 2 ms', async () => {
    expect(await medianUpdateMs({ steps: 4 }, 2, fastLink)).toBeCloseTo(114, 0);
  });

  it('sync, 2 laptops on one shared CPU: the two tasks queue, fixed parts included = 2 x (50 + 32 x 2) ms', async () => {
    expect(await medianUpdateMs({ steps: 4 }, 2, { ...fastLink, sharedCpu: true })).toBeCloseTo(228, 0);
  });

  it('local H = 4, 1 laptop: one fixed cost, 3 inner-step ones, 4 x 64 samples = 50 + 15 + 512 ms', async () => {
    expect(await medianUpdateMs({ steps: 8, mode: 'local', localSteps: 4 }, 1, fastLink)).toBeCloseTo(577, 0);
  });
});
