import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attachCheckpoints, Checkpointer } from '../../coordinator/checkpoint/checkpoint';
import { CheckpointStore } from '../../coordinator/checkpoint/checkpointStore';
import type { ConfigInput } from '../../shared/config/schema';
import { Sim } from '../integration/sim';

/**
 * A checkpoint taken in the middle of a step (what Ctrl-C / SIGTERM does),
 * on the fake clock: it holds the position at the start of that step and
 * none of the step's accepted shards, so after a resume the step is redone
 * once, the peers (back under their tokens) are credited once, and the
 * weights equal the uninterrupted run's bit for bit.
 */
const dir = mkdtempSync(join(tmpdir(), 'tabtrain-midstep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STEPS = 8;
const BATCH = 48;
const job: ConfigInput = { dataset: 'mnist', model: 'mlp', hidden: [16], optimizer: 'adam', batchSize: BATCH, steps: STEPS, seed: 9, minPeers: 3 };

describe('checkpoint mid-step', () => {
  it('resumes at the start of the interrupted step: weights exact, peers credited once', async () => {
    const clean = await Sim.create(job);
    for (const n of ['a', 'b', 'c']) clean.join(n);
    await clean.drive();
    expect(clean.finished).toBe('completed');

    const first = await Sim.create(job);
    const store = new CheckpointStore(dir, 2);
    const cp = new Checkpointer(first.run, store, 0, () => undefined);
    first.run.checkpointer = cp;
    for (const n of ['a', 'b', 'c']) first.join(n);
    let answered = 0;
    first.hook = (a) => {
      if (a.task.kind !== 0 || a.task.step !== 5) return false;
      a.deliver(); // two of step 5's three shards are in ...
      if (++answered === 2) {
        expect(cp.save('signal')).not.toBeNull(); // ... when the signal comes
        first.finished = 'interrupted';
      }
      return true;
    };
    await first.drive();
    expect(first.run.step).toBe(5);
    const credited = [...first.run.peers.values()].reduce((s, p) => s + p.samples, 0);
    expect(credited).toBeGreaterThan(5 * BATCH); // the live counters include step 5's accepted shards

    const second = await Sim.create(job);
    attachCheckpoints(second.run, { store, every: 0, resume: true }, (l) => second.logs.push(l));
    expect(second.run.step).toBe(5);
    expect([...second.run.peers.values()].reduce((s, p) => s + p.samples, 0)).toBe(5 * BATCH);
    for (const p of first.peers) second.join(p.name, p.token); // the same three peers, back under their tokens
    await second.drive();
    expect(second.finished).toBe('completed');
    expect(second.run.peers.size).toBe(3);
    expect(second.run.store.weights).toEqual(clean.run.store.weights);
    expect(second.run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: STEPS * BATCH })]);
    expect([...second.run.peers.values()].reduce((s, p) => s + p.samples, 0)).toBe(STEPS * BATCH);
    for (const p of second.run.peers.values()) expect(p.connections).toBe(2);
  });
});
