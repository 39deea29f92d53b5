import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../shared/config/schema';
import { maxAbsDiff, referenceWeights } from './reference';
import { Sim, type Answer } from './sim';
import { TaskKind } from '../../shared/protocol';

/**
 * One fault table over every training mode: each fault x mode cell runs the
 * socket-free coordinator with node peers' trainer core on a fake clock and
 * asserts what a user would notice: the run completes, every sample is used
 * exactly once (and credited to exactly one peer), the dashboard's timeline
 * has a breakdown for every step, and the weights are the single-process
 * reference's (sync, any cut of the batch) or finite and trained (async,
 * whose order of updates depends on arrivals). A mode is a column: local
 * steps add one more entry to MODES.
 */
const STEPS = 6;
const BATCH = 60;
const base: ConfigInput = { dataset: 'mnist', model: 'mlp', hidden: [16], optimizer: 'momentum', batchSize: BATCH, steps: STEPS, seed: 5, minPeers: 3 };
const MODES: Record<string, ConfigInput> = {
  sync: base,
  async: { ...base, mode: 'async', maxStaleness: 2 },
  local: { ...base, mode: 'local', localSteps: 2 },
};
/** Global batches one update consumes (local: a round of --local-steps). */
const PER_UPDATE: Record<string, number> = { sync: 1, async: 1, local: 2 };

interface Fault {
  /** Installs the fault; returns what to do once the run has settled (late deliveries). */
  install(sim: Sim): () => void;
  check?(sim: Sim): void;
}

/** Calls `act` on the n-th training answer of each listed peer (1-based); `act` returns true when it took care of it. */
function onAnswer(sim: Sim, act: (a: Answer, n: number) => boolean): void {
  const seen = new Map<string, number>();
  sim.hook = (a) => {
    if (a.task.kind === TaskKind.EVAL) return false;
    const n = (seen.get(a.peer.name) ?? 0) + 1;
    seen.set(a.peer.name, n);
    return act(a, n);
  };
}

const nothing = (): void => undefined;

const FAULTS: Record<string, Fault> = {
  none: { install: () => nothing },
  'dropped answer': {
    install: (sim) => {
      onAnswer(sim, (a, n) => a.peer.name === 'b' && n === 2);
      return nothing;
    },
  },
  'peer leaves mid-step': {
    install: (sim) => {
      onAnswer(sim, (a, n) => {
        if (a.peer.name !== 'b' || n !== 2) return false;
        sim.leave(a.peer, false);
        return true;
      });
      return nothing;
    },
    check: (sim) => expect(sim.run.peers.get(sim.peer('b').id)!.status).toBe('gone'),
  },
  'duplicate answer': {
    install: (sim) => {
      onAnswer(sim, (a, n) => {
        if (a.peer.name !== 'a' || n !== 2) return false;
        a.deliver();
        a.deliver();
        return true;
      });
      return nothing;
    },
    check: (sim) => expect(sim.run.engine.counters.duplicatesDropped + sim.run.engine.counters.lateDropped).toBeGreaterThanOrEqual(1),
  },
  'straggler past its deadline': {
    install: (sim) => {
      onAnswer(sim, (a, n) => {
        if (a.peer.name !== 'c' || n !== 2) return false;
        sim.held.push(a);
        return true;
      });
      return () => sim.held.splice(0).forEach((a) => a.deliver());
    },
  },
  'NaN gradients from one peer, which reconnects each time': {
    install: (sim) => {
      onAnswer(sim, (a, n) => {
        if (a.peer.name !== 'b' || n < 2) return false;
        expect(sim.sendGrad(a.peer, a.task, { values: Number.NaN })).toBe('GRAD_NOT_FINITE');
        sim.join('b', a.peer.token); // as a tab does after its socket is closed
        return true;
      });
      return nothing;
    },
    check: (sim) => {
      const b = sim.run.peers.get(sim.peer('b').id)!;
      expect(b.quarantine?.code).toBe('GRAD_NOT_FINITE');
      expect(sim.peer('b').tasks).toBe(2); // quarantined: nothing after the bad answer, reconnected or not
    },
  },
  'a result naming another step': {
    install: (sim) => {
      onAnswer(sim, (a, n) => {
        if (a.peer.name !== 'b' || n !== 2) return false;
        expect(sim.sendGrad(a.peer, a.task, { step: a.task.step + 7 })).toBe('GRAD_UNKNOWN_TASK');
        return true;
      });
      return nothing;
    },
    check: (sim) => expect(sim.run.peers.get(sim.peer('b').id)!.quarantine?.reason).toMatch(/says step \d+ .* the task was step/),
  },
  'a peer that stops answering': {
    install: (sim) => {
      onAnswer(sim, (a, n) => a.peer.name === 'c' && n >= 2);
      return nothing;
    },
    check: (sim) => {
      const K = sim.run.ledger.opts.benchAfterMisses;
      // Benched after K misses in a row (local: 3 rounds, fewer misses than K, so it still evaluates; count its training tasks).
      expect(sim.p.setup.config.mode === 'local' ? sim.peer('c').trainTasks : sim.peer('c').tasks).toBeLessThanOrEqual(1 + K);
      expect(sim.run.ledger.speedOf(sim.peer('c').id)!.msPerSample).toBeGreaterThanOrEqual(1); // misses never speed it up
    },
  },
};

const cells = Object.keys(FAULTS).flatMap((fault) => Object.keys(MODES).map((mode) => [fault, mode] as const));
let reference: Float32Array | null = null;

describe('fault x mode table (node peers, fake clock)', () => {
  it.each(cells)('%s / %s', async (fault, mode) => {
    const sim = await Sim.create(MODES[mode]!);
    for (const name of ['a', 'b', 'c']) sim.join(name);
    const after = FAULTS[fault]!.install(sim);
    await sim.drive();
    after();
    expect(sim.finished).toBe('completed');
    const run = sim.run;
    // Exactly once: every sample of the 6 steps used once, credited to one peer once.
    expect(run.step).toBe(STEPS);
    const k = PER_UPDATE[mode]!;
    expect(run.history.map((h) => h.samples)).toEqual(new Array(STEPS / k).fill(k * BATCH));
    expect(run.accounting).toEqual([expect.objectContaining({ epoch: 0, samplesUsed: STEPS * BATCH })]);
    expect([...run.peers.values()].reduce((s, p) => s + p.samples, 0)).toBe(STEPS * BATCH);
    // The timeline: a breakdown for every step, made of accepted shards the bars show.
    expect(run.timeline.breakdown.map((b) => b.step)).toEqual(Array.from({ length: STEPS / k }, (_, i) => k * (i + 1)));
    expect(run.timeline.breakdown.every((b) => b.shards >= 1 && b.computeMs > 0)).toBe(true);
    expect(run.timeline.bars.some((b) => b.kind === 'train' && b.outcome === 'accepted')).toBe(true);
    // The weights.
    const w = run.store.weights;
    if (mode === 'sync') {
      reference ??= await referenceWeights(sim.p, STEPS);
      expect(maxAbsDiff(w, reference)).toBeLessThan(1e-5);
    } else {
      expect(w.every(Number.isFinite)).toBe(true);
      expect(maxAbsDiff(w, sim.p.setup.model.initial)).toBeGreaterThan(1e-3);
      if (mode === 'async') expect(run.history.every((h) => h.staleness! <= 2)).toBe(true);
    }
    FAULTS[fault]!.check?.(sim);
  });
});
