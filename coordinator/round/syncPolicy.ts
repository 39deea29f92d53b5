import { BarrierPolicy, type BarrierRound } from './barrierPolicy';
import type { TrainingPolicy } from './policy';

/**
 * Synchronous training as a policy over the work ledger: one global batch at
 * a time is a barrier round (engine.ts) cut across the idle peers by speed;
 * accepted sums go into the step's accumulators, and when every shard is in
 * the run applies one update and starts the next step. Reassignments,
 * backups and late copies are the round engine's, which the run drives for
 * evaluation passes in every mode too.
 */
export class SyncPolicy extends BarrierPolicy<BarrierRound> implements TrainingPolicy {
  readonly mode = 'sync';

  /** The next step: its global batch as one round. */
  pump(now: number): void {
    const host = this.host;
    const batch = host.sampler.next();
    host.opened(batch.epoch);
    host.beginStep();
    this.round = { epoch: batch.epoch, lastOfEpoch: batch.lastOfEpoch, id: host.step, startedAt: now, maxComputeMs: 0 };
    host.perform(this.engine.startRound({ kind: 'train', id: host.step, version: host.version, items: batch.indices, epoch: batch.epoch }, now));
  }

  /** Every shard of the step is in: one update, then the epoch's pass or the next step. */
  roundComplete(): void {
    this.finishRound();
  }
}
