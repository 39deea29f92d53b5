import type { GradFrame } from '../../shared/protocol';
import type { Effect } from './engine';
import type { Shard, WorkLedger } from './ledger';

/**
 * A training mode is a policy over the one work ledger: which training work
 * to put on it and when the model moves. Sync (syncPolicy.ts) puts one
 * global batch at a time behind a barrier; async (asyncPolicy.ts) hands out
 * whole batches and applies each on arrival within the staleness bound. A
 * local-steps policy (DiLoCo) plugs in the same way: units of H batches per
 * peer, an outer update in `applyStep`'s place.
 *
 * The rules every mode shares are not the policy's: the run's result path
 * (run/results.ts) checks each result against its task and the model,
 * quarantines the peer on a bad one, judges duplicates and late copies,
 * records the timeline; run/stepRecord.ts averages, declares divergence from
 * the aggregated update only, updates, counts the samples once and writes the
 * history row.
 */
export type TrainingMode = 'sync' | 'async' | 'local';

export interface Batch {
  indices: Uint32Array;
  epoch: number;
  lastOfEpoch: boolean;
}

/** One applied update, as the policy saw it; run/stepRecord.ts turns it into the history row and the timeline breakdown. */
export interface StepInput {
  epoch: number;
  /** Timeline round of the shards that made it. */
  round: number;
  /** When its work went out. */
  startedAt: number;
  /** Slowest accepted shard's compute time. */
  computeMs: number;
  /** Async: versions between computing and applying. */
  staleness?: number;
  /** Async: the one task that made the update (the breakdown reads its bar only). */
  taskId?: number;
  /** Global batches the update consumed (local mode: a round of H local steps); 1 when absent. */
  batches?: number;
}

/** What a policy may ask of the run. */
export interface PolicyHost {
  readonly ledger: WorkLedger;
  now(): number;
  /** The run's stage allows handing out training work. */
  canTrain(): boolean;
  readonly step: number;
  readonly totalSteps: number;
  readonly version: number;
  readonly sampler: { readonly cursor: number; readonly trainSize: number; readonly epoch: number; readonly batchSize: number; next(): Batch };
  /** A training batch was carved from the order: its epoch is not complete yet. */
  opened(epoch: number): void;
  /** Empties the step's accumulators. */
  beginStep(): void;
  /** Adds an accepted gradient into the step's accumulators. */
  accumulate(peerId: string, g: GradFrame, grad: Float32Array): void;
  /** An accepted gradient's contribution to its peer's counters and cost model. */
  credit(peerId: string, g: GradFrame): void;
  /** Async: a gradient of `epoch` dropped as too stale (its batch is computed again). */
  staleDropped(epoch: number): void;
  /** After an applied update: a periodic checkpoint may be due. */
  savePoint(): void;
  /** Averages the accumulators and applies the update: the rule shared by every mode. False when the run diverged. */
  applyStep(s: StepInput): boolean;
  /** Every batch of `epoch` is applied: record it and run its validation pass. */
  epochDone(epoch: number): void;
  /** A step boundary: the next step, an evaluation, a checkpoint or the end, as the run's stage says. */
  boundary(): void;
  perform(effects: Effect[]): void;
}

export interface TrainingPolicy {
  readonly mode: TrainingMode;
  /** Training may go on: hand out work (start a round, give batches to idle peers). */
  pump(now: number): void;
  /** Whether `shard` is this policy's training work. */
  owns(shard: Shard): boolean;
  /** A checked result covering one of this policy's shards. */
  accepted(shard: Shard, peerId: string, g: GradFrame, grad: Float32Array, now: number): void;
  /** A peer became free without covering anything (a late result). */
  freed(now: number): void;
  /** A copy of one of its shards was judged a duplicate. */
  duplicate(shard: Shard): void;
  /** Shards of this policy that lost their copy (the peer left or sent an unusable result). */
  lost(shards: Shard[], now: number, why: 'left' | 'failed'): void;
  /** Attempts that just passed their deadline. */
  late(shards: Shard[], now: number): void;
}
