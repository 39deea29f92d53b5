import type { GradFrame } from '../../shared/protocol';
import type { RoundEngine } from './engine';
import type { Shard } from './ledger';
import type { PolicyHost } from './policy';

/** What every barrier round of training keeps while its shards are out. */
export interface BarrierRound {
  id: number;
  epoch: number;
  lastOfEpoch: boolean;
  startedAt: number;
  maxComputeMs: number;
}

/**
 * The part sync steps and local-steps rounds share: training work as one
 * barrier round of the engine, accepted results into the step's accumulators,
 * and one update when every shard is in. Reassignments, backups and late
 * copies are the engine's, so the ledger's other verdicts need nothing here.
 */
export abstract class BarrierPolicy<R extends BarrierRound> {
  protected round: R | null = null;

  constructor(
    protected readonly host: PolicyHost,
    protected readonly engine: RoundEngine,
  ) {}

  owns(shard: Shard): boolean {
    return shard.unit.kind === 'train' && this.engine.owns(shard);
  }

  accepted(shard: Shard, peerId: string, g: GradFrame, contribution: Float32Array, now: number): void {
    this.host.ledger.cover(shard, peerId);
    const effects = this.engine.covered(now);
    this.host.accumulate(peerId, g, contribution);
    this.host.credit(peerId, g);
    if (this.round) this.round.maxComputeMs = Math.max(this.round.maxComputeMs, g.computeMs);
    this.host.perform(effects);
  }

  duplicate(): void {}

  freed(): void {}

  lost(): void {}

  late(): void {}

  /** Every shard of the round is in: one update over its `batches` global batches, then the epoch's pass or the next round. */
  protected finishRound(batches?: number): void {
    const r = this.round!;
    const host = this.host;
    if (!host.applyStep({ epoch: r.epoch, round: r.id, startedAt: r.startedAt, computeMs: r.maxComputeMs, ...(batches === undefined ? {} : { batches }) })) return;
    if (r.lastOfEpoch) host.epochDone(r.epoch);
    else host.boundary();
  }
}
