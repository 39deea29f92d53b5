import { learningRateAt } from '../../shared/optim';
import { packLocalPlan, type InnerOptimizer } from '../../shared/protocol/localPlan';
import type { Config } from '../../shared/config/schema';
import { DEFAULT_LR } from '../../shared/config/schema';
import { BarrierPolicy, type BarrierRound } from './barrierPolicy';
import type { RoundEngine } from './engine';
import type { SendEffect } from './ledger';
import type { PolicyHost, TrainingPolicy } from './policy';

/**
 * Local steps (DiLoCo: Douillard et al. 2023) as a policy over the work
 * ledger. A round takes the next H global batches of the epoch's seeded
 * order (fewer at the end of an epoch or of the run) and is one barrier round
 * of the engine: its items are the H batches interleaved (batch 0's first
 * sample, batch 1's first, ..., batch 0's second, ...), so any contiguous
 * shard the engine cuts by speed holds a near-equal share of every batch.
 * Each shard goes out as a LOCAL task (shared/protocol/localPlan.ts): the
 * peer runs step h on its share of batch h with its own inner optimizer and
 * answers with (start - end weights) x sample count; the count-weighted mean
 * of those is the "outer gradient" the run's optimizer (the outer one, in
 * local mode) applies. Everything else is the barrier round's: reassigning a
 * leaver's share, backups, deadlines, exactly-once accounting (a round's
 * samples are counted once, in its epoch), checkpoints mid-round (the round
 * is redone). A round of H batches advances the run's step by H.
 */
interface LocalRound extends BarrierRound {
  batches: number;
  items: Uint32Array;
  /** The batch (inner step) of each position of `items`. */
  stepOf: Uint32Array;
  inner: InnerOptimizer;
}

export type LocalConfig = Pick<Config, 'localSteps' | 'optimizer' | 'lr' | 'momentum' | 'beta1' | 'beta2' | 'epsilon' | 'weightDecay' | 'schedule' | 'gamma' | 'decayEvery' | 'warmupSteps'>;

export class LocalPolicy extends BarrierPolicy<LocalRound> implements TrainingPolicy {
  readonly mode = 'local';

  constructor(
    host: PolicyHost,
    engine: RoundEngine,
    private readonly config: LocalConfig,
  ) {
    super(host, engine);
  }

  /** The next round: up to H global batches of this epoch, one barrier round. */
  pump(now: number): void {
    const host = this.host;
    const left = Math.max(1, host.totalSteps - host.step);
    const want = Math.min(this.config.localSteps, left);
    const batches: Uint32Array[] = [];
    let epoch = -1;
    let lastOfEpoch = false;
    while (batches.length < want && !lastOfEpoch) {
      const b = host.sampler.next();
      epoch = b.epoch;
      lastOfEpoch = b.lastOfEpoch;
      batches.push(b.indices);
    }
    const { items, stepOf } = interleave(batches);
    host.opened(epoch);
    host.beginStep();
    this.round = { id: host.step, epoch, lastOfEpoch, startedAt: now, maxComputeMs: 0, batches: batches.length, items, stepOf, inner: this.innerAt(host.step) };
    host.perform(this.engine.startRound({ kind: 'train', id: host.step, version: host.version, items, epoch }, now));
  }

  /** A send of this round's work as a LOCAL task: the shard's share of each batch, and the inner optimizer. */
  decorate(e: SendEffect): SendEffect {
    const r = this.round;
    if (!r || e.kind !== 'train' || e.roundId !== r.id || e.indices.buffer !== r.items.buffer) return e;
    const start = (e.indices.byteOffset - r.items.byteOffset) / 4;
    const sizes = new Array<number>(r.batches).fill(0);
    for (let p = start; p < start + e.indices.length; p++) sizes[r.stepOf[p]!]!++;
    const steps = sizes.map((n) => new Uint32Array(n));
    const at = new Array<number>(r.batches).fill(0);
    for (let p = start; p < start + e.indices.length; p++) {
      const h = r.stepOf[p]!;
      steps[h]![at[h]!++] = r.items[p]!;
    }
    return { ...e, local: packLocalPlan(r.inner, steps) };
  }

  /** Every share of the round is in: one outer update over H batches, then the epoch's pass or the next round. */
  roundComplete(): void {
    this.finishRound(this.round!.batches);
  }

  /** The inner optimizer for a round starting at global step `step`: --optimizer, --lr and the schedule. */
  private innerAt(step: number): InnerOptimizer {
    const c = this.config;
    const s = this.host.sampler;
    const stepsPerEpoch = Math.max(1, Math.ceil(s.trainSize / Math.max(1, s.batchSize)));
    const base = c.lr ?? DEFAULT_LR[c.optimizer];
    const lr = learningRateAt(base, { name: c.schedule, gamma: c.gamma, everyEpochs: c.decayEvery, warmupSteps: c.warmupSteps }, { step, epoch: step / stepsPerEpoch, totalSteps: this.host.totalSteps });
    return { name: c.optimizer, lr, momentum: c.momentum, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon, weightDecay: c.weightDecay };
  }
}

/** The batches' samples round-robin (one from each batch in turn), with the batch each came from. */
export function interleave(batches: readonly Uint32Array[]): { items: Uint32Array; stepOf: Uint32Array } {
  const total = batches.reduce((n, b) => n + b.length, 0);
  const items = new Uint32Array(total);
  const stepOf = new Uint32Array(total);
  const longest = batches.reduce((n, b) => Math.max(n, b.length), 0);
  let at = 0;
  for (let j = 0; j < longest; j++) {
    for (let h = 0; h < batches.length; h++) {
      const b = batches[h]!;
      if (j >= b.length) continue;
      items[at] = b[j]!;
      stepOf[at++] = h;
    }
  }
  return { items, stepOf };
}
