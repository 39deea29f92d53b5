import type { GradFrame } from '../../shared/protocol';
import type { RoundEngine } from './engine';
import type { Shard } from './ledger';
import type { PolicyHost, TrainingPolicy } from './policy';

/**
 * Synchronous training as a policy over the work ledger: one global batch at
 * a time is a barrier round (engine.ts) cut across the idle peers by speed;
 * accepted sums go into the step's accumulators, and when every shard is in
 * the run applies one update and starts the next step. Reassignments,
 * backups and late copies are the round engine's, which the run drives for
 * evaluation passes in every mode too.
 */
export class SyncPolicy implements TrainingPolicy {
  readonly mode = 'sync';
  private round: { epoch: number; lastOfEpoch: boolean; id: number; startedAt: number; maxComputeMs: number } | null = null;

  constructor(
    private readonly host: PolicyHost,
    private readonly engine: RoundEngine,
  ) {}

  owns(shard: Shard): boolean {
    return shard.unit.kind === 'train' && this.engine.owns(shard);
  }

  /** The next step: its global batch as one round. */
  pump(now: number): void {
    const host = this.host;
    const batch = host.sampler.next();
    host.opened(batch.epoch);
    host.beginStep();
    this.round = { epoch: batch.epoch, lastOfEpoch: batch.lastOfEpoch, id: host.step, startedAt: now, maxComputeMs: 0 };
    host.perform(this.engine.startRound({ kind: 'train', id: host.step, version: host.version, items: batch.indices, epoch: batch.epoch }, now));
  }

  accepted(shard: Shard, peerId: string, g: GradFrame, grad: Float32Array, now: number): void {
    this.host.ledger.cover(shard, peerId);
    const effects = this.engine.covered(now);
    this.host.accumulate(peerId, g, grad);
    this.host.credit(peerId, g);
    if (this.round) this.round.maxComputeMs = Math.max(this.round.maxComputeMs, g.computeMs);
    this.host.perform(effects);
  }

  duplicate(): void {}

  freed(): void {}

  lost(): void {}

  late(): void {}

  /** Every shard of the step is in: one update, then the epoch's pass or the next step. */
  roundComplete(): void {
    const r = this.round!;
    const host = this.host;
    if (!host.applyStep({ epoch: r.epoch, round: r.id, startedAt: r.startedAt, computeMs: r.maxComputeMs })) return;
    if (r.lastOfEpoch) host.epochDone(r.epoch);
    else host.boundary();
  }
}
