import type { GradFrame } from '../../shared/protocol';
import type { Shard, WorkUnit } from './ledger';
import type { PolicyHost, TrainingPolicy } from './policy';

/**
 * Asynchronous training with bounded staleness, as a policy over the work
 * ledger. Every idle peer pulls one batch at a time (a global batch's worth
 * of samples from the epoch's seeded order) computed on the weights current
 * when it was sent. A gradient on version v arriving at version c is applied
 * at once (one optimizer step) when c - v <= maxStaleness, else dropped,
 * counted, and its batch queued again to be computed on fresh weights. So
 * every sample of an epoch is still applied exactly once.
 *
 * Epochs end with a barrier: once the last batch of an epoch is applied its
 * validation pass runs (on the same ledger), then the next epoch starts. A
 * batch out past its deadline is queued again once as backup work (at most
 * maxAttempts copies out); the first copy back counts.
 */
export interface AsyncSnapshot {
  /** Applied gradients by staleness (index = current version - computed version). */
  histogram: number[];
  staleDropped: number;
  duplicatesDropped: number;
  reassigned: number;
  evaluatedThrough: number;
  /** Batches carved from the order but not applied yet: their epochs and lengths (indices in the tensor). */
  pending: { epoch: number; length: number }[];
}

/**
 * Async spot checks: a picked batch goes to three peers at once, on the same
 * weights (an async batch's weights move on, so a copy sent later, or a
 * referee, would compute on others); the majority's result is applied, the
 * odd one out takes a strike. Any copy lost or late ends the check (the
 * batch is then an ordinary one).
 */
export const CHECK_COPIES = 3;

export class AsyncPolicy implements TrainingPolicy {
  readonly mode = 'async';
  readonly histogram: number[];
  staleDropped = 0;
  duplicatesDropped = 0;
  reassigned = 0;
  /** Largest staleness seen among dropped gradients, for the report. */
  maxDroppedStaleness = 0;
  private readonly queue: Shard[] = [];
  private readonly queued = new Set<Shard>();
  /** Batches carved and not yet applied (queued or out). */
  private readonly open = new Set<Shard>();
  /** Epochs up to this one have had their validation pass. */
  private evaluatedThrough = -1;
  /** Spot checks (set by the run, --spot-check): whether a fresh batch is computed by CHECK_COPIES peers on the same weights. */
  pickCheck: ((b: Shard) => boolean) | null = null;
  /** A batch picked for a check, waiting for CHECK_COPIES idle peers. */
  private gathering: Shard | null = null;

  constructor(
    private readonly host: PolicyHost,
    readonly maxStaleness: number,
  ) {
    this.histogram = new Array<number>(maxStaleness + 1).fill(0);
  }

  /** In async mode every training unit is this policy's (evaluation passes are barrier rounds). */
  owns(shard: Shard): boolean {
    return shard.unit.kind === 'train';
  }

  get inFlight(): number {
    return this.open.size - this.queue.length;
  }

  /** Hands batches to idle peers; when nothing is open: the epoch's validation pass, or the run's end. */
  pump(now: number): void {
    const host = this.host;
    if (!host.canTrain()) return;
    const sends = [];
    const idle = host.ledger.idlePeers();
    // Peers that may compute a check's copies (not quarantined); it does not change while this loop hands work out.
    const enough = host.ledger.workers().length >= CHECK_COPIES;
    while (idle.length > 0) {
      const b = this.gathering ?? this.nextBatch();
      if (!b) break;
      if (this.gathering === b && !enough) this.gathering = null;
      if (!this.gathering && !b.check && b.attempts.length === 0 && enough && this.pickCheck?.(b)) this.gathering = b;
      // A copy computes on the weights current when it is sent.
      b.unit.version = host.version;
      b.unit.id = host.step;
      if (this.gathering === b) {
        // A spot check: CHECK_COPIES peers compute it at once on the same weights; the idle ones wait until enough are.
        if (idle.length < CHECK_COPIES) break;
        b.check = { need: CHECK_COPIES, answered: [] };
        for (let k = 0; k < CHECK_COPIES; k++) sends.push(host.ledger.issue(idle.shift()!, b, now, k > 0));
        this.gathering = null;
        continue;
      }
      sends.push(host.ledger.issue(idle.shift()!, b, now, false));
    }
    host.perform(sends);
    if (this.open.size > 0) return;
    const s = host.sampler;
    if (s.cursor >= s.trainSize && this.evaluatedThrough < s.epoch) {
      this.evaluatedThrough = s.epoch;
      host.epochDone(s.epoch);
      return;
    }
    if (host.step >= host.totalSteps) host.boundary();
  }

  /** Late copies get their batch queued again, once, for another peer. */
  late(shards: Shard[], now: number): void {
    for (const b of shards) {
      if (b.done || !this.owns(b)) continue;
      b.check = undefined;
      if (b.attempts.filter((a) => a.live).length < this.host.ledger.opts.maxAttempts && !this.queued.has(b)) {
        this.requeue(b);
        this.reassigned++;
        this.host.ledger.count('reassigned', b.unit);
      }
    }
    this.pump(now);
  }

  lost(shards: Shard[], now: number, why: 'left' | 'failed'): void {
    for (const b of shards) {
      if (!b.done) b.check = undefined;
      if (b.done || b.attempts.some((a) => a.live) || this.queued.has(b)) continue;
      this.requeue(b);
      if (why === 'left') {
        this.reassigned++;
        this.host.ledger.count('reassigned', b.unit);
      }
    }
    this.pump(now);
  }

  freed(now: number): void {
    this.pump(now);
  }

  duplicate(): void {
    this.duplicatesDropped++;
    this.pump(this.host.now());
  }

  accepted(b: Shard, peerId: string, g: GradFrame, grad: Float32Array, now: number): void {
    const host = this.host;
    const attempt = b.attempts.find((a) => a.peerId === peerId && !a.live && a.round === g.step && a.version === g.weightsVersion)!;
    const staleness = host.version - attempt.version;
    if (staleness > this.maxStaleness) {
      this.staleDropped++;
      this.maxDroppedStaleness = Math.max(this.maxDroppedStaleness, staleness);
      host.staleDropped(b.unit.epoch);
      host.ledger.release(b);
      this.lost([b], now, 'failed');
      return;
    }
    host.ledger.cover(b, peerId);
    this.open.delete(b);
    this.histogram[staleness]!++;
    host.beginStep();
    host.accumulate(peerId, g, grad);
    if (!host.applyStep({ epoch: b.unit.epoch, round: attempt.round, startedAt: attempt.sentAt, computeMs: g.computeMs, staleness, taskId: attempt.taskId })) return;
    host.credit(peerId, g);
    host.savePoint();
    this.pump(now);
  }

  private requeue(b: Shard): void {
    // Computed again on newer weights: not a check any more.
    b.check = undefined;
    this.queued.add(b);
    this.queue.unshift(b);
  }

  /** A queued batch first; else a new one from the order, within the epoch (until its pass) and the step budget. */
  private nextBatch(): Shard | null {
    let q = this.queue.shift();
    // A batch queued for backup may have been covered since by its first copy.
    while (q?.done) {
      this.queued.delete(q);
      q = this.queue.shift();
    }
    if (q) {
      this.queued.delete(q);
      return q;
    }
    const host = this.host;
    const s = host.sampler;
    if (host.step + this.open.size >= host.totalSteps) return null;
    if (s.cursor >= s.trainSize && this.evaluatedThrough < s.epoch) return null;
    const next = s.next();
    const b = this.carve(next.epoch, next.indices);
    host.opened(next.epoch);
    return b;
  }

  private carve(epoch: number, indices: Uint32Array): Shard {
    const unit: WorkUnit = { kind: 'train', id: this.host.step, version: this.host.version, items: indices, epoch, closed: false };
    const b: Shard = { unit, start: 0, end: indices.length, done: false, orphaned: false, attempts: [] };
    this.open.add(b);
    return b;
  }

  snapshot(): { meta: AsyncSnapshot; indices: Uint32Array } {
    const pending = [...this.open].filter((b) => !b.done);
    const indices = new Uint32Array(pending.reduce((a, b) => a + b.unit.items.length, 0));
    let at = 0;
    for (const b of pending) {
      indices.set(b.unit.items, at);
      at += b.unit.items.length;
    }
    return {
      meta: {
        histogram: [...this.histogram],
        staleDropped: this.staleDropped,
        duplicatesDropped: this.duplicatesDropped,
        reassigned: this.reassigned,
        evaluatedThrough: this.evaluatedThrough,
        pending: pending.map((b) => ({ epoch: b.unit.epoch, length: b.unit.items.length })),
      },
      indices,
    };
  }

  restore(s: AsyncSnapshot, indices: Uint32Array): void {
    for (let i = 0; i < this.histogram.length && i < s.histogram.length; i++) this.histogram[i] = s.histogram[i]!;
    this.staleDropped = s.staleDropped;
    this.duplicatesDropped = s.duplicatesDropped;
    this.reassigned = s.reassigned;
    this.evaluatedThrough = s.evaluatedThrough;
    let at = 0;
    for (const p of s.pending) {
      const b = this.carve(p.epoch, indices.slice(at, at + p.length));
      at += p.length;
      this.queued.add(b);
      this.queue.push(b);
    }
  }

  report(): Record<string, unknown> {
    return {
      maxStaleness: this.maxStaleness,
      /** applied[s]: gradients applied s versions after the weights they were computed on. */
      stalenessHistogram: this.histogram,
      applied: this.histogram.reduce((a, b) => a + b, 0),
      staleDropped: this.staleDropped,
      maxDroppedStaleness: this.maxDroppedStaleness,
      duplicatesDropped: this.duplicatesDropped,
      reassigned: this.reassigned,
    };
  }
}
