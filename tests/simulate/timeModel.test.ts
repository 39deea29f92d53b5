import '../../coordinator/tfjsNode';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../client/trainer/trainer';
import { prepareRun } from '../../coordinator/setup';
import { CLASSROOM, type Assumptions } from '../../coordinator/simulate/assumptions';
import { simulateClassroom, type ClassroomResult } from '../../coordinator/simulate/classroom';
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
  return (await simulated(job, n, a)).stepMs;
}

async function simulated(job: ConfigInput, n: number, a: Assumptions): Promise<ClassroomResult> {
  const p = await prepareRun(parseConfig({ dataset: 'mnist', samples: 800, model: 'mlp', hidden: [8], batchSize: 64, seed: 2, minPeers: 1, host: '127.0.0.1', peers: 0, ...job }));
  const trainer = await Trainer.create(p.setup.model.topology, p.setup.model.specs, p.setup.dataset, p.setup.loss);
  try {
    return await simulateClassroom(p, trainer, n, a, 2);
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

  it('local H = 4, 4 laptops on one shared CPU (one thread): the queue outlasts a deadline, yet no stale backup holds up the next round = 4 x (50 + 3 x 1000) + 256 x 2 ms', async () => {
    // A deadline is 3000 ms + 3 x the expected 50 + 64 x 2 ms = 3.5 s; the fourth task ends at 12.7 s. One thread
    // handles nothing while it computes, then what arrived meanwhile, then the timer; a peer drops a queued training
    // task once a newer one is sent (client/peer/session.ts). Without that, stale backups ran first: median 22.2 s.
    const r = await simulated({ steps: 32, mode: 'local', localSteps: 4 }, 4, { ...fastLink, innerStepOverheadMs: 1000, sharedCpu: true });
    expect(r.stepMs).toBeCloseTo(12712, 0);
  });
});
