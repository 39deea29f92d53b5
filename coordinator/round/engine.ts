import { WorkLedger, type LedgerCounters, type LedgerOptions, type SendEffect, type Shard, type UnitKind, type Verdict, type WorkUnit } from './ledger';
import { steadySizes } from './split';
import { speedModel, type SpeedModel } from './speed';

/**
 * Barrier rounds over the work ledger: the synchronous training step (one
 * global batch) and, in every mode, an evaluation pass. A round covers a
 * fixed list of sample indices exactly once; it is cut into shards by the
 * idle peers' speeds, a shard without a live copy goes to an idle peer, and a
 * late shard gets one backup copy on an idle peer (synchronous SGD with
 * backup workers). The round completes when every shard is covered.
 *
 * No sockets, timers or tensors: the caller feeds events with the time and
 * performs the effects returned (send a task, finish the round).
 */
export const RoundStage = {
  /** No round yet, or the last one finished. */
  IDLE: 'idle',
  /** Work is out; waiting for results. */
  COLLECTING: 'collecting',
  /** Pending work and no peer to give it to: paused until one joins. */
  STARVED: 'starved',
  /** Every item is covered. */
  COMPLETE: 'complete',
} as const;
export type RoundStage = (typeof RoundStage)[keyof typeof RoundStage];

/**
 * The smallest evaluation shard worth a peer of its own. Each evaluation
 * task carries the exact float32 weights, whatever the training codec: on a
 * shared classroom link (30 Mbit/s) the MNIST MLP's 407 kB take ~110 ms of
 * everyone's airtime, while a laptop evaluates 256 samples in ~25 ms. So a
 * validation pass of 1000 samples goes to 3 peers (the fastest idle ones),
 * not to all 16 of a class (`tabtrain simulate`: the pass took half of a
 * 16-laptop local epoch, 1.74 s of 3.56 s); a pass of 10,000 still spreads
 * over 39. Late or lost shards get backups on the idle peers as usual. With
 * spot checks on, every peer evaluates (an evaluation shard is how a liar is
 * caught).
 */
export const EVAL_MIN_SHARD = 256;

export type RoundKind = UnitKind;
export type { Verdict } from './ledger';
export type EngineOptions = Pick<LedgerOptions, 'deadlineSlack' | 'deadlineFloorMs' | 'maxAttempts'>;
export type EngineCounters = LedgerCounters;
export { DEFAULT_LEDGER_OPTIONS as DEFAULT_ENGINE_OPTIONS } from './ledger';

export interface RoundSpec {
  kind: RoundKind;
  /** Step number (train) or evaluation id (eval). */
  id: number;
  /** The weights version the tasks compute on. */
  version: number;
  items: Uint32Array;
  /** Training rounds: the epoch of their samples. */
  epoch?: number;
}

export type Effect = SendEffect | { type: 'complete'; kind: RoundKind; roundId: number };

export class RoundEngine {
  readonly ledger: WorkLedger;
  private round: WorkUnit | null = null;
  private shards: Shard[] = [];
  /** Each peer's shard size in its last cut, by round kind and total: sizes stay put between steps (see cut). */
  private readonly lastSize = new Map<string, { key: string; size: number }>();
  stage: RoundStage = RoundStage.IDLE;
  /** The smallest evaluation shard worth a peer of its own (EVAL_MIN_SHARD); 0 = every idle peer evaluates (the run sets 0 with spot checks on). */
  evalMinShard = EVAL_MIN_SHARD;
  /** Spot checks: whether a shard handed out for the first time must also be computed by a second peer (set by the run; null = never). */
  pickCheck: ((shard: Shard) => boolean) | null = null;

  /** Its own ledger (tests, a lone engine) or the run's, shared with the other policies. */
  constructor(opts: Partial<LedgerOptions> | WorkLedger = {}) {
    this.ledger = opts instanceof WorkLedger ? opts : new WorkLedger(opts);
  }

  get counters(): LedgerCounters {
    return this.ledger.counters;
  }

  get current(): WorkUnit | null {
    return this.round;
  }

  /** Whether `shard` belongs to the round under way. */
  owns(shard: Shard): boolean {
    return shard.unit === this.round;
  }

  /** The number of samples task `taskId` covers, if it belongs to the current round. */
  taskSize(peerId: string, taskId: number): number | null {
    const t = this.ledger.lookup(peerId, taskId);
    return t && t.shard.unit === this.round ? t.shard.end - t.shard.start : null;
  }

  get taskIdCursor(): number {
    return this.ledger.taskIdCursor;
  }

  continueTaskIds(next: number): void {
    this.ledger.continueTaskIds(next);
  }

  allocateTaskId(): number {
    return this.ledger.allocateTaskId();
  }

  get peerCount(): number {
    return this.ledger.peerCount;
  }

  /** A peer is ready for work (joined and warmed up), with its measured cost model (or samples/s). */
  peerReady(peerId: string, speed: SpeedModel | number, now: number): Effect[] {
    this.ledger.addPeer(peerId, typeof speed === 'number' ? speedModel(speed) : speed);
    return this.assign(now);
  }

  updateSpeed(peerId: string, speed: SpeedModel): void {
    this.ledger.setSpeed(peerId, speed);
  }

  /** A peer left (closed, crashed, refused): its unfinished shards go to others. */
  peerGone(peerId: string, now: number): Effect[] {
    this.ledger.removePeer(peerId);
    this.lastSize.delete(peerId);
    return this.assign(now);
  }

  startRound(spec: RoundSpec, now: number): Effect[] {
    if (this.round) this.ledger.close(this.round);
    const unit: WorkUnit = { kind: spec.kind, id: spec.id, version: spec.version, items: spec.items, epoch: spec.epoch ?? -1, closed: false };
    this.round = unit;
    this.ledger.freeClosed();
    this.shards = [];
    if (spec.items.length === 0) {
      this.stage = RoundStage.COMPLETE;
      return [{ type: 'complete', kind: spec.kind, roundId: spec.id }];
    }
    this.shards = [{ unit, start: 0, end: spec.items.length, done: false, orphaned: false, attempts: [] }];
    this.stage = RoundStage.COLLECTING;
    return this.assign(now);
  }

  /** A result came back. Only an `accepted` result may touch the accumulator. */
  result(peerId: string, taskId: number, now: number): { verdict: Verdict; effects: Effect[] } {
    const { verdict, shard } = this.ledger.judge(peerId, taskId);
    if (verdict === 'unknown') return { verdict, effects: [] };
    if (verdict !== 'accepted' || !shard) return { verdict, effects: this.assign(now) };
    this.ledger.cover(shard, peerId);
    return { verdict, effects: this.covered(now) };
  }

  /** After a shard of the round was covered: more work out, and the round's end when every shard is in. */
  covered(now: number): Effect[] {
    const effects = this.assign(now);
    if (this.round && this.stage !== RoundStage.COMPLETE && this.shards.every((s) => s.done)) {
      this.stage = RoundStage.COMPLETE;
      effects.push({ type: 'complete', kind: this.round.kind, roundId: this.round.id });
    }
    return effects;
  }

  /** A result was unusable: the shard goes back to the pool, the peer gets no more work until it is ready again. */
  failed(peerId: string, taskId: number, now: number): Effect[] {
    this.ledger.fail(peerId, taskId);
    return this.assign(now);
  }

  nextDeadline(_now?: number): number | null {
    return this.ledger.nextDeadline();
  }

  /** Time passed: late shards get a backup copy on an idle peer. */
  tick(now: number): Effect[] {
    this.ledger.noteLate(now);
    return this.assign(now);
  }

  /** Samples and shards each peer has had accepted in the current round (a checkpoint mid-step takes them back). */
  acceptedInRound(): Map<string, { samples: number; shards: number }> {
    const m = new Map<string, { samples: number; shards: number }>();
    for (const s of this.shards) {
      if (!s.done || s.winner === undefined) continue;
      const a = m.get(s.winner) ?? { samples: 0, shards: 0 };
      a.samples += s.end - s.start;
      a.shards++;
      m.set(s.winner, a);
    }
    return m;
  }

  inFlight(): Map<string, number> {
    return this.ledger.inFlight();
  }

  /** Hand every shard that has no live copy to idle peers, splitting it by speed when several are idle. */
  assign(now: number): Effect[] {
    const effects: Effect[] = [];
    if (!this.round || this.stage === RoundStage.COMPLETE || this.stage === RoundStage.IDLE) return effects;
    // A checked shard with a result in keeps its bounds (its copies must compute the same samples): assignChecks gives it out.
    const pending = this.shards.filter((s) => !s.done && !s.attempts.some((a) => a.live) && !(s.check && s.check.answered.length > 0));
    if (pending.length === 0) {
      this.stage = RoundStage.COLLECTING;
      this.assignChecks(now, effects);
      this.assignBackups(now, effects);
      return effects;
    }
    const idle = this.ledger.idlePeers();
    if (idle.length === 0) {
      const anyLive = this.shards.some((s) => s.attempts.some((a) => a.live));
      this.stage = anyLive ? RoundStage.COLLECTING : RoundStage.STARVED;
      return effects;
    }
    this.stage = RoundStage.COLLECTING;
    pending.sort((a, b) => b.end - b.start - (a.end - a.start));
    if (pending.length < idle.length) {
      // Fewer shards than idle peers: cut the largest pending shard across the spare peers (an evaluation shard
      // only across as many as keep each piece at least EVAL_MIN_SHARD samples, fastest first).
      const largest = pending[0]!;
      const most = largest.unit.kind === 'eval' && this.evalMinShard > 0 ? Math.max(1, Math.floor((largest.end - largest.start) / this.evalMinShard)) : Infinity;
      const spare = idle.slice(0, Math.min(idle.length - pending.length + 1, most));
      const parts = this.cut(largest, spare);
      pending.splice(0, 1, ...parts);
    }
    for (let i = 0; i < pending.length && i < idle.length; i++) {
      const s = pending[i]!;
      if (s.orphaned) this.ledger.count('reassigned', s.unit);
      effects.push(this.ledger.issue(idle[i]!, s, now, false));
      if (!s.check && this.pickCheck?.(s)) s.check = { need: 2, answered: [] };
    }
    this.assignChecks(now, effects);
    this.assignBackups(now, effects);
    return effects;
  }

  /** Spot checks: a checked shard short of copies goes to an idle peer that has not computed it (marked as a backup on the timeline). */
  private assignChecks(now: number, effects: Effect[]): void {
    for (const s of this.shards) {
      const c = s.check;
      if (s.done || !c || s.attempts.length === 0) continue;
      const live = s.attempts.filter((a) => a.live);
      if (c.answered.length + live.length >= c.need) continue;
      const pick = this.ledger.idlePeers().find((id) => !c.answered.includes(id) && !live.some((a) => a.peerId === id));
      if (!pick) continue;
      effects.push(this.ledger.issue(pick, s, now, true));
    }
  }

  /** Backup work: an idle peer takes a copy of a late shard (at most maxAttempts copies live). */
  private assignBackups(now: number, effects: Effect[]): void {
    for (const s of this.shards) {
      if (s.done) continue;
      const live = s.attempts.filter((a) => a.live);
      if (live.length === 0 || live.length >= this.ledger.opts.maxAttempts) continue;
      if (live.some((a) => a.deadline > now)) continue;
      const pick = this.ledger.idlePeers().find((id) => !live.some((a) => a.peerId === id) && !s.check?.answered.includes(id));
      if (!pick) return;
      this.ledger.count('reassigned', s.unit);
      effects.push(this.ledger.issue(pick, s, now, true));
    }
  }

  /**
   * Replace `shard` by contiguous children sized by the peers' cost models
   * (empty children dropped); the same peers cutting the same total keep
   * last time's sizes unless a recut is clearly faster (split.ts, steadySizes).
   */
  private cut(shard: Shard, peers: readonly string[]): Shard[] {
    const n = shard.end - shard.start;
    const key = `${shard.unit.kind}:${n}`;
    const sizes = steadySizes(
      n,
      peers.map((id) => this.ledger.speedOf(id)!),
      peers.map((id) => {
        const last = this.lastSize.get(id);
        return last?.key === key ? last.size : undefined;
      }),
    );
    peers.forEach((id, i) => this.lastSize.set(id, { key, size: sizes[i]! }));
    const children: Shard[] = [];
    let at = shard.start;
    for (const n of sizes) {
      if (n === 0) continue;
      children.push({ unit: shard.unit, start: at, end: at + n, done: false, orphaned: shard.orphaned, attempts: [] });
      at += n;
    }
    this.shards.splice(this.shards.indexOf(shard), 1, ...children);
    return children;
  }
}
