import { isTabtrainError } from '../../shared/errors';
import type { GradFrame } from '../../shared/protocol';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../round/engine';
import { expectedMs } from '../round/speed';
import type { TrainingCoordinator } from './coordinator';
import { checkGradient } from './gradCheck';
import { applyUpdate } from './update';

/**
 * Asynchronous training with bounded staleness. Every ready peer pulls one
 * batch at a time (a global batch's worth of samples from the epoch's seeded
 * order) computed on the weights current when it was sent. A gradient on
 * version v arrives when the weights are at version c: it is applied at once
 * (one optimizer step) when c - v <= maxStaleness, else dropped, counted, and
 * its batch queued again to be computed on fresh weights. So every sample of
 * an epoch is still applied exactly once, whatever is dropped, lost or late.
 *
 * Epochs end with a barrier: once the last batch of an epoch is applied the
 * validation pass runs (as in sync mode), then the next epoch starts.
 * A batch out longer than its deadline is queued again as backup work; the
 * first copy back counts, any other is dropped as a duplicate.
 */
interface Batch {
  epoch: number;
  indices: Uint32Array;
  done: boolean;
  /** Copies out on peers. */
  live: number;
  queued: boolean;
}

interface Task {
  taskId: number;
  peerId: string;
  batch: Batch;
  version: number;
  sentAt: number;
  deadline: number;
  backedUp: boolean;
}

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

export class AsyncTrainer {
  readonly histogram: number[];
  staleDropped = 0;
  duplicatesDropped = 0;
  reassigned = 0;
  /** Largest staleness seen among dropped gradients, for the report. */
  maxDroppedStaleness = 0;
  private readonly queue: Batch[] = [];
  /** Batches carved and not yet applied (queued or out). */
  private readonly open = new Set<Batch>();
  private readonly tasks = new Map<number, Task>();
  private readonly busy = new Map<string, number>();
  /** Decode buffer for compressed gradients, reused every update. */
  private scratch: Float32Array | null = null;
  /** Recently answered tasks and their epochs, so a second copy of one is counted as a duplicate. */
  private readonly answered = new Map<number, number>();
  /** Epochs up to this one have had their validation pass. */
  private evaluatedThrough = -1;
  private readonly opts: EngineOptions;
  /** Unusable (NaN) gradients since the last applied one: three in a row mean divergence. */
  private nonFinite = 0;

  constructor(
    private readonly run: TrainingCoordinator,
    readonly maxStaleness: number,
    opts: Partial<EngineOptions> = {},
  ) {
    this.histogram = new Array<number>(maxStaleness + 1).fill(0);
    this.opts = { ...DEFAULT_ENGINE_OPTIONS, ...opts };
  }

  owns(taskId: number): boolean {
    return this.tasks.has(taskId) || this.answered.has(taskId);
  }

  get inFlight(): number {
    return this.tasks.size;
  }

  /** Hands batches to idle peers; at the end of an epoch (nothing open) starts its validation pass, at the end of the run the final passes. */
  pump(): void {
    const run = this.run;
    if (run.state !== 'training') return;
    for (const peerId of this.idlePeers()) {
      const b = this.nextBatch();
      if (!b) break;
      this.send(peerId, b);
    }
    run.perform([]); // re-arms the deadline timer
    if (this.open.size > 0) return;
    const s = run.sampler;
    if (s.cursor >= s.trainSize && this.evaluatedThrough < s.epoch) {
      this.evaluatedThrough = s.epoch;
      const acc = run.epochAccounting(s.epoch);
      acc.complete = acc.samplesUsed === s.trainSize;
      run.evaluator.epochPass(s.epoch);
      return;
    }
    if (run.step >= run.totalSteps) run.nextStep();
  }

  /** The earliest deadline of a copy that may still get a backup. */
  nextDeadline(): number | null {
    let min: number | null = null;
    for (const t of this.tasks.values()) if (!t.backedUp && !t.batch.done && (min === null || t.deadline < min)) min = t.deadline;
    return min;
  }

  /** Late copies get their batch queued again, once, for another peer. */
  tick(now: number): void {
    for (const t of this.tasks.values()) {
      if (t.backedUp || t.batch.done || t.deadline > now) continue;
      t.backedUp = true;
      if (t.batch.live < this.opts.maxAttempts && !t.batch.queued) {
        this.requeue(t.batch);
        this.reassigned++;
        this.acc(t.batch.epoch).reassigned++;
      }
    }
    this.pump();
  }

  peerGone(peerId: string): void {
    this.busy.delete(peerId);
    for (const [id, t] of this.tasks) {
      if (t.peerId !== peerId) continue;
      this.tasks.delete(id);
      t.batch.live--;
      if (!t.batch.done && t.batch.live === 0 && !t.batch.queued) {
        this.requeue(t.batch);
        this.reassigned++;
        this.acc(t.batch.epoch).reassigned++;
      }
    }
    this.pump();
  }

  /** A GRAD for one of our tasks. Throws a TabtrainError (the server closes that peer) when it must not touch the weights. */
  onGrad(peerId: string, g: GradFrame): void {
    const run = this.run;
    const now = run.now();
    const t = this.tasks.get(g.taskId);
    if (!t) {
      // The same task answered again (a resent frame): dropped and counted.
      this.duplicatesDropped++;
      this.acc(this.answered.get(g.taskId)!).duplicatesDropped++;
      return;
    }
    if (t.peerId !== peerId) return; // someone else's task id: ignore
    this.tasks.delete(g.taskId);
    this.answered.set(g.taskId, t.batch.epoch);
    if (this.answered.size > 4096) this.answered.delete(this.answered.keys().next().value!);
    if (this.busy.get(peerId) === g.taskId) this.busy.delete(peerId);
    const b = t.batch;
    b.live--;
    const p = run.peers.get(peerId);
    if (p) p.lastSeen = now;
    const lost = (): void => {
      if (!b.done && b.live === 0 && !b.queued) this.requeue(b);
    };
    let grad: Float32Array;
    try {
      grad = checkGradient(g, b.indices.length, run.store, () => (this.scratch ??= new Float32Array(run.store.trainableSize)));
    } catch (e) {
      lost();
      this.busy.set(peerId, -1); // no more work until it reconnects
      if (isTabtrainError(e) && e.code === 'GRAD_NOT_FINITE' && ++this.nonFinite === 3) run.finishDiverged();
      this.pump();
      throw e;
    }
    if (b.done) {
      this.duplicatesDropped++;
      this.acc(b.epoch).duplicatesDropped++;
      this.pump();
      return;
    }
    const staleness = run.store.version - t.version;
    if (staleness > this.maxStaleness) {
      this.staleDropped++;
      this.maxDroppedStaleness = Math.max(this.maxDroppedStaleness, staleness);
      const acc = this.acc(b.epoch);
      acc.staleDropped = (acc.staleDropped ?? 0) + 1;
      lost();
      this.pump();
      return;
    }
    this.nonFinite = 0;
    this.apply(b, g, grad, staleness, now - t.sentAt);
    if (p) run.credit(p, g);
    run.checkpointer?.atBoundary();
    this.pump();
  }

  private apply(b: Batch, g: GradFrame, grad: Float32Array, staleness: number, ms: number): void {
    const run = this.run;
    const store = run.store;
    const t0 = run.now();
    b.done = true;
    this.open.delete(b);
    this.histogram[staleness]!++;
    store.resetAccumulators();
    store.add(grad, g.state, g.count, g.lossSum);
    const loss = store.average();
    const lr = applyUpdate(run);
    this.acc(b.epoch).samplesUsed += g.count;
    run.step++;
    const now = run.now();
    run.history.push({
      step: run.step,
      epoch: b.epoch,
      loss,
      lr,
      peers: run.readyPeers,
      ms,
      computeMs: g.computeMs,
      updateMs: now - t0,
      samples: g.count,
      t: (now - run.startedAt) / 1000,
      staleness,
    });
  }

  /** Checks a gradient before it may touch anything; returns it decoded. */
  private acc(epoch: number): ReturnType<TrainingCoordinator['epochAccounting']> {
    return this.run.epochAccounting(epoch);
  }

  private requeue(b: Batch): void {
    b.queued = true;
    this.queue.unshift(b);
  }

  /** A queued batch first; else a new one from the order, within the epoch (until its pass) and the step budget. */
  private nextBatch(): Batch | null {
    let q = this.queue.shift();
    // A batch queued for backup may have been covered since by its first copy.
    while (q?.done) {
      q.queued = false;
      q = this.queue.shift();
    }
    if (q) {
      q.queued = false;
      return q;
    }
    const run = this.run;
    const s = run.sampler;
    if (run.step + this.open.size >= run.totalSteps) return null;
    if (s.cursor >= s.trainSize && this.evaluatedThrough < s.epoch) return null;
    const next = s.next();
    const b: Batch = { epoch: next.epoch, indices: next.indices, done: false, live: 0, queued: false };
    this.open.add(b);
    run.epochAccounting(next.epoch).complete = false;
    return b;
  }

  private idlePeers(): string[] {
    const out: { id: string; speed: number }[] = [];
    for (const p of this.run.peers.values()) {
      if ((p.status === 'ready' || p.status === 'computing') && !this.busy.has(p.id)) out.push({ id: p.id, speed: p.speed });
    }
    return out.sort((a, b) => b.speed - a.speed || (a.id < b.id ? -1 : 1)).map((x) => x.id);
  }

  private send(peerId: string, b: Batch): void {
    const run = this.run;
    const p = run.peers.get(peerId)!;
    const taskId = run.engine.allocateTaskId();
    const now = run.now();
    const deadline = now + this.opts.deadlineFloorMs + this.opts.deadlineSlack * expectedMs(p.cost, b.indices.length);
    this.tasks.set(taskId, { taskId, peerId, batch: b, version: run.store.version, sentAt: now, deadline, backedUp: false });
    this.busy.set(peerId, taskId);
    b.live++;
    run.sendTask({ type: 'send', peerId, taskId, kind: 'train', roundId: run.step, version: run.store.version, indices: b.indices, backup: false });
  }

  snapshot(): { meta: AsyncSnapshot; indices: Uint32Array } {
    const pending = [...this.open].filter((b) => !b.done);
    const indices = new Uint32Array(pending.reduce((a, b) => a + b.indices.length, 0));
    let at = 0;
    for (const b of pending) {
      indices.set(b.indices, at);
      at += b.indices.length;
    }
    return {
      meta: {
        histogram: [...this.histogram],
        staleDropped: this.staleDropped,
        duplicatesDropped: this.duplicatesDropped,
        reassigned: this.reassigned,
        evaluatedThrough: this.evaluatedThrough,
        pending: pending.map((b) => ({ epoch: b.epoch, length: b.indices.length })),
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
      const b: Batch = { epoch: p.epoch, indices: indices.slice(at, at + p.length), done: false, live: 0, queued: true };
      at += p.length;
      this.open.add(b);
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
