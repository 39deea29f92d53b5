import { describe, expect, it } from 'vitest';
import { RoundStage } from '../../coordinator/round/engine';
import type { ConfigInput } from '../../shared/config/schema';
import { maxAbsDiff, referenceWeights } from './reference';
import { Sim, type Answer } from './sim';

/**
 * The fault table: node peers' trainer core, a fake clock (deadlines fire
 * when the test lets time pass, not after seconds of waiting), one fault
 * per row. Every row asserts that the steps complete, that the accounting is
 * exact, and that the weights equal the fault-free run bit for bit where the
 * shards' composition is unchanged (a backup computes the very shard it
 * replaces; a duplicate is dropped), or the single-process reference within
 * float tolerance where the batch is cut differently (a peer fewer or more).
 */
const STEPS = 6;
const BATCH = 60;
const job: ConfigInput = { dataset: 'mnist', model: 'mlp', hidden: [16], optimizer: 'momentum', batchSize: BATCH, steps: STEPS, seed: 5, minPeers: 3 };

async function start(): Promise<Sim> {
  const sim = await Sim.create(job);
  for (const name of ['a', 'b', 'c']) sim.join(name);
  return sim;
}

/** The first training answer of `peer` at `step` (once). */
function once(peer: string, step: number, act: (a: Answer) => boolean | void): (a: Answer) => boolean | void {
  let fired = false;
  return (a) => {
    if (fired || a.peer.name !== peer || a.task.step !== step || a.task.kind !== 0) return false;
    fired = true;
    return act(a);
  };
}

let clean: Float32Array | null = null;
let reference: Float32Array | null = null;

async function referenceFor(sim: Sim): Promise<Float32Array> {
  reference ??= await referenceWeights(sim.p, STEPS);
  return reference;
}

async function cleanWeights(): Promise<Float32Array> {
  if (!clean) {
    const sim = await start();
    await sim.drive();
    expect(sim.finished).toBe('completed');
    clean = Float32Array.from(sim.run.store.weights);
  }
  return clean;
}

function expectExact(sim: Sim): void {
  expect(sim.finished).toBe('completed');
  expect(sim.run.step).toBe(STEPS);
  expect(sim.run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: STEPS * BATCH })]);
  expect(sim.run.history.map((h) => h.samples)).toEqual(new Array(STEPS).fill(BATCH));
}

describe('fault table (node peers, fake clock)', () => {
  it('fault-free: 3 peers match the single-process reference', async () => {
    const w = await cleanWeights();
    const sim = await Sim.create(job);
    expect(maxAbsDiff(w, await referenceFor(sim))).toBeLessThan(1e-5);
    expect(maxAbsDiff(w, sim.p.setup.model.initial)).toBeGreaterThan(1e-3);
  });

  it('drop before send: the shard is late, a backup of the same shard completes the step; weights exact', async () => {
    const sim = await start();
    sim.hook = once('b', 2, () => true); // computed, never sent; b stays connected
    await sim.drive();
    expectExact(sim);
    expect(sim.run.engine.counters.reassigned).toBe(1);
    expect(sim.now).toBeGreaterThan(3000); // the deadline, on the fake clock
    expect(sim.run.store.weights).toEqual(await cleanWeights());
  });

  it('disconnect mid-step: the shard goes to another peer; the step completes with two peers', async () => {
    const sim = await start();
    sim.hook = once('b', 1, (a) => {
      sim.leave(a.peer, false);
      return true;
    });
    await sim.drive();
    expectExact(sim);
    expect(sim.run.engine.counters.reassigned).toBeGreaterThanOrEqual(1);
    expect(sim.run.peers.get(sim.peer('b').id)!.status).toBe('gone');
    expect(sim.peer('b').tasks).toBe(2); // steps 0 and 1, nothing after
    expect(maxAbsDiff(sim.run.store.weights, await referenceFor(sim))).toBeLessThan(1e-5);
  });

  it('slow send past the deadline: the backup wins, the late copy is dropped and counted; weights exact', async () => {
    const sim = await start();
    sim.hook = once('c', 3, (a) => {
      sim.held.push(a);
      return true;
    });
    sim.afterTick = () => {
      // Once the backup has closed step 3, the slow copy finally arrives.
      if (sim.run.step > 3 && sim.held.length) {
        sim.held.shift()!.deliver();
      }
    };
    await sim.drive();
    if (sim.held.length) sim.held.shift()!.deliver();
    expectExact(sim);
    expect(sim.run.engine.counters.reassigned).toBe(1);
    expect(sim.run.engine.counters.lateDropped + sim.run.engine.counters.duplicatesDropped).toBe(1);
    expect(sim.run.store.weights).toEqual(await cleanWeights());
  });

  it('duplicate send: the second copy is dropped and counted; weights exact', async () => {
    const sim = await start();
    sim.hook = once('a', 1, (a) => {
      a.deliver();
      a.deliver();
      return true;
    });
    await sim.drive();
    expectExact(sim);
    expect(sim.run.engine.counters.duplicatesDropped + sim.run.engine.counters.lateDropped).toBe(1);
    expect(sim.run.engine.counters.reassigned).toBe(0);
    expect(sim.run.store.weights).toEqual(await cleanWeights());
  });

  it('reconnect with the same token mid-step: same identity, counters continue, shard recomputed; weights exact', async () => {
    const sim = await start();
    sim.hook = once('b', 2, (a) => {
      sim.leave(a.peer, true); // connection lost before the answer went out
      expect(sim.run.peers.get(a.peer.id)!.status).toBe('reconnecting');
      sim.join('b', a.peer.token); // back with its reconnect token
      return true;
    });
    await sim.drive();
    expectExact(sim);
    const b = sim.run.peers.get(sim.peer('b').id)!;
    expect(sim.run.peers.size).toBe(3);
    expect(b.connections).toBe(2);
    expect(b.samples).toBeGreaterThan(0);
    expect(sim.run.engine.counters.reassigned).toBe(1);
    expect(sim.run.store.weights).toEqual(await cleanWeights());
  });

  it('join during a step: the newcomer gets the current weights and work from the next step', async () => {
    const sim = await start();
    let joinedAt = -1;
    sim.hook = once('a', 2, (a) => {
      a.deliver();
      sim.join('d');
      joinedAt = sim.run.step;
      return true;
    });
    await sim.drive();
    expectExact(sim);
    const d = sim.run.peers.get(sim.peer('d').id)!;
    expect(joinedAt).toBe(2);
    expect(d.samples).toBeGreaterThan(0);
    expect(d.steps).toBe(STEPS - 3); // one shard in each of steps 3, 4, 5
    expect(sim.run.history[5]!.peers).toBe(4);
    expect(maxAbsDiff(sim.run.store.weights, await referenceFor(sim))).toBeLessThan(1e-5);
  });

  it('all peers gone, then one returns: training pauses (and says so), then completes', async () => {
    const sim = await start();
    sim.hook = once('a', 2, () => {
      for (const p of sim.peers) sim.leave(p, false);
      return true;
    });
    await sim.drive(); // nothing left to do: no peer, no timer
    expect(sim.finished).toBeNull();
    expect(sim.run.engine.stage).toBe(RoundStage.STARVED);
    expect(sim.run.step).toBe(2);
    expect(sim.logs).toContain('no peers: training is paused until one joins');
    expect(sim.wake).toBeNull(); // paused: no timer spinning
    sim.hook = () => false;
    sim.join('e');
    await sim.drive();
    expectExact(sim);
    // e did all of step 2 (the three orphaned shards) and every step after.
    expect(sim.run.peers.get(sim.peer('e').id)!.samples).toBe((STEPS - 2) * BATCH);
    expect(maxAbsDiff(sim.run.store.weights, await referenceFor(sim))).toBeLessThan(1e-5);
  });

  it('async mode: a departure, a straggler past its deadline and a duplicate; each sample applied exactly once', async () => {
    const S = 1;
    const sim = await Sim.create({ ...job, mode: 'async', maxStaleness: S, steps: undefined, epochs: 1, batchSize: 400 });
    for (const name of ['a', 'b', 'c']) sim.join(name);
    const seen = new Map<string, number>();
    sim.hook = (a) => {
      if (a.task.kind !== 0) return false;
      const n = (seen.get(a.peer.name) ?? 0) + 1;
      seen.set(a.peer.name, n);
      if (a.peer.name === 'b' && n === 2) {
        sim.leave(a.peer, false); // leaves holding a batch
        return true;
      }
      if (a.peer.name === 'c' && n === 3) {
        sim.held.push(a); // a straggler: arrives after its backup
        return true;
      }
      if (a.peer.name === 'a' && n === 4) {
        a.deliver();
        a.deliver(); // the same gradient twice
        return true;
      }
      return false;
    };
    await sim.drive();
    expect(sim.finished).toBe('completed');
    expect(sim.held).toHaveLength(1);
    sim.held.shift()!.deliver(); // the straggler, long after its backup was applied
    const train = sim.p.setup.dataset.meta.splits.train;
    const a = sim.run.async!;
    expect(sim.run.step).toBe(Math.ceil(train / 400));
    expect(sim.run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: train, complete: true })]);
    expect(a.reassigned).toBe(2); // b's batch, and a backup of c's
    expect(a.duplicatesDropped).toBe(2); // a's second copy, and c's late one
    expect(a.histogram).toHaveLength(S + 1);
    expect(a.histogram.reduce((x, y) => x + y, 0)).toBe(sim.run.step);
    expect(sim.run.history.every((h) => h.staleness! <= S)).toBe(true);
  });

  it('async mode: every peer past its deadline with no one idle; backups of batches covered meanwhile are skipped', async () => {
    const sim = await Sim.create({ ...job, mode: 'async', maxStaleness: 4, steps: undefined, epochs: 1, batchSize: 400 });
    for (const name of ['a', 'b', 'c']) sim.join(name);
    const seen = new Map<string, number>();
    sim.hook = (a) => {
      if (a.task.kind !== 0) return false;
      const n = (seen.get(a.peer.name) ?? 0) + 1;
      seen.set(a.peer.name, n);
      if (n !== 2) return false;
      sim.held.push(a); // all three stall on their second batch
      return true;
    };
    await sim.drive(); // stuck: every peer busy, the deadlines pass, backups are queued with no one to take them
    expect(sim.held).toHaveLength(3);
    expect(sim.run.async!.reassigned).toBe(3);
    for (const a of sim.held.splice(0)) a.deliver(); // the slow copies arrive after all
    await sim.drive();
    expect(sim.finished).toBe('completed');
    const train = sim.p.setup.dataset.meta.splits.train;
    expect(sim.run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: train, complete: true })]);
    // a's copy lands first and a takes the backup of c's batch (c is still out): that one is computed twice
    // and dropped as a duplicate. The backups of a's and b's batches, covered by then, are skipped, not sent.
    expect(sim.run.async!.duplicatesDropped).toBe(1);
    expect(sim.run.step).toBe(Math.ceil(train / 400));
  });
});
