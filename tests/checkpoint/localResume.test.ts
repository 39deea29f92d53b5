import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attachCheckpoints, Checkpointer } from '../../coordinator/checkpoint/checkpoint';
import { CheckpointStore } from '../../coordinator/checkpoint/checkpointStore';
import type { ConfigInput } from '../../shared/config/schema';
import { TaskKind } from '../../shared/protocol';
import { Sim } from '../integration/sim';

/**
 * --mode local: a checkpoint in the middle of a round (H = 2 global batches)
 * holds the outer optimizer's state and the position at the round's start;
 * after a resume the round is redone once, every sample is used once, and
 * the weights equal the uninterrupted run's (inner SGD has no state to lose).
 */
const dir = mkdtempSync(join(tmpdir(), 'tabtrain-local-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STEPS = 8;
const BATCH = 48;
const job: ConfigInput = { dataset: 'mnist', model: 'mlp', hidden: [16], mode: 'local', localSteps: 2, optimizer: 'sgd', lr: 0.1, batchSize: BATCH, steps: STEPS, seed: 9, minPeers: 3 };

describe('checkpoint mid-round in local mode', () => {
  it('resumes at the start of the interrupted round: outer state kept, weights exact, samples once', async () => {
    const clean = await Sim.create(job);
    for (const n of ['a', 'b', 'c']) clean.join(n);
    await clean.drive();
    expect(clean.finished).toBe('completed');
    expect(clean.run.history).toHaveLength(STEPS / 2);

    const first = await Sim.create(job);
    const store = new CheckpointStore(dir, 2);
    const cp = new Checkpointer(first.run, store, 0, () => undefined);
    first.run.checkpointer = cp;
    for (const n of ['a', 'b', 'c']) first.join(n);
    let answered = 0;
    first.hook = (a) => {
      if (a.task.kind !== TaskKind.LOCAL || a.task.step !== 4) return false;
      a.deliver(); // two of the round's three shares are in ...
      if (++answered === 2) {
        expect(cp.save('signal')).not.toBeNull(); // ... when the signal comes
        first.finished = 'interrupted';
      }
      return true;
    };
    await first.drive();
    expect(first.run.step).toBe(4);

    const second = await Sim.create(job);
    attachCheckpoints(second.run, { store, every: 0, resume: true }, (l) => second.logs.push(l));
    expect(second.run.step).toBe(4);
    expect(second.run.optimizer.state().name).toBe('nesterov');
    for (const p of first.peers) second.join(p.name, p.token);
    await second.drive();
    expect(second.finished).toBe('completed');
    expect(second.run.step).toBe(STEPS);
    expect(second.run.store.weights).toEqual(clean.run.store.weights);
    expect(second.run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: STEPS * BATCH })]);
    expect([...second.run.peers.values()].reduce((s, p) => s + p.samples, 0)).toBe(STEPS * BATCH);
  });
});
