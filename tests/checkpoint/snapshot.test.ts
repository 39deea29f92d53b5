import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attachCheckpoints, Checkpointer, type CheckpointMeta } from '../../coordinator/checkpoint/checkpoint';
import { CheckpointStore } from '../../coordinator/checkpoint/checkpointStore';
import { applyControl } from '../../coordinator/dashboard/controls';
import { takeSnapshot, type RunSnapshot } from '../../coordinator/run/snapshot';
import { TaskKind } from '../../shared/protocol';
import type { ConfigInput } from '../../shared/config/schema';
import { Sim, type Answer } from '../integration/sim';

/**
 * A checkpoint is one value, the run's snapshot (coordinator/run/snapshot.ts):
 * taken from a run, written to a file, read back into a fresh run, taken
 * again, it is the same value: nothing the run needs to continue is lost or
 * changed on the way (on the fake clock, so the times agree to the ms).
 */
const root = mkdtempSync(join(tmpdir(), 'tabtrain-snapshot-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// xor: 320 training samples, 10 steps per epoch; adam (moments and step count matter).
const job: ConfigInput = { dataset: 'xor', samples: 400, model: 'mlp', hidden: [16], optimizer: 'adam', lr: 0.01, batchSize: 32, epochs: 2, seed: 11, minPeers: 3 };

/** When to take the snapshot (after delivering `a`): `ofStep` answers of its kind and step so far, `all` answers so far. */
type At = (a: Answer, n: { ofStep: number; all: number }) => boolean;

const credited = (s: RunSnapshot): number => s.peers.reduce((n, p) => n + p.samples, 0);

/** The last element: take the snapshot before the answer is delivered (the answer is then lost with the interruption). */
const cases: [string, ConfigInput, At, (s: RunSnapshot) => void, boolean?][] = [
  // Two of step 5's three shards in: the snapshot holds the start of step 5, without their credit.
  [
    'sync, in the middle of a step',
    {},
    (a, n) => a.task.kind === TaskKind.TRAIN && a.task.step === 5 && n.ofStep === 2,
    (s) => {
      expect([s.step, s.sampler, credited(s), s.resumePass]).toEqual([5, { epoch: 0, cursor: 5 * 32 }, 5 * 32, null]);
    },
  ],
  // Batches out and queued: they are computed again after a resume.
  [
    'async, batches out',
    { mode: 'async', maxStaleness: 3 },
    (a, n) => a.task.kind === TaskKind.TRAIN && n.all === 14,
    (s) => {
      expect(s.async!.state.pending.length).toBeGreaterThan(0);
      expect(s.async!.pending.length).toBe(s.async!.state.pending.reduce((n, p) => n + p.length, 0));
    },
  ],
  // The epoch's validation pass under way (its one shard out, its answer not in: a pass of 40 samples goes to one
  // peer, coordinator/round/engine.ts EVAL_MIN_SHARD): a resumed run redoes it first.
  [
    'sync, during the validation pass',
    {},
    (a) => a.task.kind === TaskKind.EVAL,
    (s) => {
      expect([s.step, s.resumePass]).toEqual([10, { then: 'epoch', epoch: 0 }]);
    },
    true,
  ],
];

describe('run snapshot', () => {
  it.each(cases)('%s: save -> restore -> save gives the same snapshot', async (name, extra, at, check, before = false) => {
    const dir = mkdtempSync(join(root, 'case-'));
    const config = { ...job, ...extra };
    const first = await Sim.create(config);
    for (const n of ['a', 'b', 'c']) first.join(n);
    const store = new CheckpointStore(dir, 2);
    const saver = new Checkpointer(first.run, store, 0, () => undefined);
    let saved: RunSnapshot | null = null;
    const ofStep = new Map<string, number>();
    let all = 0;
    first.hook = (a) => {
      if (saved) return true; // interrupted: nothing more arrives
      const key = `${a.task.kind}/${a.task.step}`;
      ofStep.set(key, (ofStep.get(key) ?? 0) + 1);
      const hit = at(a, { ofStep: ofStep.get(key)!, all: ++all });
      if (!(before && hit)) a.deliver();
      if (hit) {
        saved = takeSnapshot(first.run);
        expect(saver.save('signal')).not.toBeNull();
        first.finished = 'interrupted';
      }
      return true;
    };
    await first.drive();
    expect(saved, `${name}: the snapshot point was reached`).not.toBeNull();
    const snap = saved!;
    check(snap);

    const second = await Sim.create(config);
    attachCheckpoints(second.run, { store, every: 0, resume: true }, () => undefined);
    const again = takeSnapshot(second.run);
    expect(again).toEqual(snap);
    // The file written from the restored run holds the same metadata and tensors.
    const firstFile = store.loadNewest<CheckpointMeta>()!.data;
    new Checkpointer(second.run, store, 0, () => undefined).save('signal');
    const secondFile = store.loadNewest<CheckpointMeta>()!.data;
    expect({ ...secondFile.meta, createdAt: '' }).toEqual({ ...firstFile.meta, createdAt: '' });
    expect(secondFile.tensors).toEqual(firstFile.tensors);
  });

  it('a checkpoint taken after the dashboard switched the optimizer resumes with that optimizer and its state', async () => {
    const dir = mkdtempSync(join(root, 'switch-'));
    const first = await Sim.create(job);
    for (const n of ['a', 'b', 'c']) first.join(n);
    const store = new CheckpointStore(dir, 2);
    const saver = new Checkpointer(first.run, store, 0, () => undefined);
    let saved: RunSnapshot | null = null;
    first.hook = (a) => {
      if (saved) return true;
      a.deliver();
      if (a.task.kind !== TaskKind.TRAIN) return true;
      if (a.task.step === 3 && first.run.optimizer.name === 'adam') applyControl(first.run, { action: 'optimizer', value: 'momentum' });
      if (a.task.step === 6) {
        saved = takeSnapshot(first.run);
        expect(saver.save('signal')).not.toBeNull();
        first.finished = 'interrupted';
      }
      return true;
    };
    await first.drive();
    expect(saved!.optimizer.name).toBe('momentum');
    expect(Object.keys(saved!.optimizer.slots).length).toBeGreaterThan(0);
    const second = await Sim.create(job);
    attachCheckpoints(second.run, { store, every: 0, resume: true }, () => undefined);
    expect(second.run.optimizer.name).toBe('momentum');
    expect(takeSnapshot(second.run)).toEqual(saved);
  });
});
