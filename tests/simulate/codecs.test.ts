import '../../coordinator/tfjsNode';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../client/trainer/trainer';
import { prepareRun } from '../../coordinator/setup';
import { CLASSROOM, type Assumptions } from '../../coordinator/simulate/assumptions';
import { simulateClassroom, type ClassroomResult } from '../../coordinator/simulate/classroom';
import { int8Bytes } from '../../shared/compress';
import { parseConfig } from '../../shared/config/parse';
import type { ConfigInput } from '../../shared/config/schema';

/**
 * The simulator puts the run's codecs on its link (a lever against the
 * classroom link): --compress for what goes up (a local round's weight change
 * too), --weights-codec for the weights down. Counted in bytes through the
 * coordinator, in virtual time (no wall clock).
 */
const a: Assumptions = { ...CLASSROOM, spread: 1, bandwidthMbps: 30, latencyMs: 5 };
/** MLP 2-64-1 on circles: 128 + 64 + 64 + 1 values in 4 tensors. */
const P = 257;
/** An int8 payload of P values (one scale per tensor), padded to 4 bytes in its frame: 293 -> 296. */
const INT8 = Math.ceil(int8Bytes(P, 4) / 4) * 4;

async function simulate(job: ConfigInput, n = 1): Promise<ClassroomResult> {
  const p = await prepareRun(parseConfig({ dataset: 'circles', samples: 400, model: 'mlp', hidden: [64], batchSize: 32, seed: 2, minPeers: 1, host: '127.0.0.1', peers: 0, ...job }));
  expect(p.setup.model.trainableParams).toBe(P);
  const trainer = await Trainer.create(p.setup.model.topology, p.setup.model.specs, p.setup.dataset, p.setup.loss);
  try {
    return await simulateClassroom(p, trainer, n, a, 2);
  } finally {
    trainer.dispose();
  }
}

describe('simulated codecs', () => {
  it('int8 up: each local round ships one byte a value (plus scales) instead of four, and the link time falls with it', async () => {
    const job: ConfigInput = { steps: 8, mode: 'local', localSteps: 4 };
    const fp32 = await simulate(job);
    const int8 = await simulate({ ...job, compress: 'int8' });
    // 8 global batches in rounds of 4: two weight changes up, everything else the same.
    expect(fp32.bytes - int8.bytes).toBe(2 * (4 * P - INT8));
    // Less airtime on a 30 Mbit/s link: 2 x 732 bytes, 0.39 ms sooner.
    expect(fp32.seconds - int8.seconds).toBeCloseTo((2 * (4 * P - INT8) * 8) / 30e6, 4);
  });

  it('delta weights down: a laptop that keeps up gets int8 differences after the first full copy (evaluation stays float32)', async () => {
    const job: ConfigInput = { steps: 6 };
    const fp32 = await simulate(job);
    const delta = await simulate({ ...job, weightsCodec: 'delta' });
    // Six sync steps: the first task carries full weights, the next five a delta of version v-1 -> v.
    expect(fp32.bytes - delta.bytes).toBe(5 * (4 * P - INT8));
  });
});
