import { describe, expect, it } from 'vitest';
import { TaskKind } from '../../shared/protocol';
import { EVAL_MIN_SHARD } from '../../coordinator/round/engine';
import { Sim } from './sim';

/**
 * An evaluation pass is cut across as many peers as keep each shard at least
 * EVAL_MIN_SHARD samples (each shard carries the exact float32 weights): the
 * embedded MNIST's 1000-sample validation and test passes go to 3 of 8 peers
 * (tests/training/weightsBroadcast.test.ts: with --weights-codec delta the
 * others go on with int8 deltas). With spot checks on, every peer evaluates. Fake clock, the real coordinator and
 * trainer core (sim.ts).
 */
const job = { dataset: 'mnist', model: 'logreg', batchSize: 400, steps: 3, seed: 2, minPeers: 8 } as const;

async function evaluators(extra: Record<string, unknown>): Promise<{ evalPeers: Set<string>; evalSamples: number; sim: Sim }> {
  const sim = await Sim.create({ ...job, ...extra });
  for (let i = 0; i < 8; i++) sim.join(`p${i}`);
  const evalPeers = new Set<string>();
  let evalSamples = 0;
  sim.hook = (a) => {
    if (a.task.kind === TaskKind.EVAL) {
      evalPeers.add(a.peer.name);
      evalSamples += a.task.indices.length;
    }
  };
  await sim.drive();
  return { evalPeers, evalSamples, sim };
}

describe('evaluation passes on a few peers', () => {
  it('1000-sample passes go to 3 of 8 peers, every sample once', async () => {
    const { evalPeers, evalSamples, sim } = await evaluators({ weightsCodec: 'delta' });
    expect(sim.finished).toBe('completed');
    expect(Math.floor(1000 / EVAL_MIN_SHARD)).toBe(3);
    expect(evalPeers.size).toBe(3);
    expect(evalSamples).toBe(2000); // validation + test, each sample once
    expect(sim.run.evaluator.final.testAccuracy).not.toBeNull();
  });

  it('with spot checks on, every peer evaluates', async () => {
    const { evalPeers } = await evaluators({ spotCheck: 0.1 });
    expect(evalPeers.size).toBe(8);
  });
});
