import { expectedMs, missed, samplesPerSec, type SpeedModel } from './speed';
import { DEFAULT_LEDGER_OPTIONS, type Attempt, type LedgerCounters, type LedgerOptions, type SendEffect, type Shard, type Verdict, type WorkUnit } from './work';

/**
 * The one ledger of work, for every training mode and for evaluation. It
 * knows the units of work (a training step's global batch, an async batch, an
 * evaluation pass), the shards they are cut into, every attempt at a shard
 * (which peer, which task id, its deadline), and each ready peer: its cost
 * model, the one task it is computing (the only place a peer's "busy" is
 * held), whether it is quarantined or benched for missing deadlines.
 *
 * The rules that hold in every mode live here: a task's result is judged
 * once (accepted, duplicate, stale, unknown); a shard is covered by the first
 * accepted copy only; deadlines follow one formula; a peer that misses
 * `benchAfterMisses` deadlines in a row gets no new shard until it answers.
 * What to hand out, and when a late shard gets a backup, is a policy's
 * choice (engine.ts: barrier rounds; asyncPolicy.ts: batches on arrival).
 * It owns no sockets, timers or tensors.
 */
export type { Attempt, LedgerCounters, LedgerOptions, SendEffect, Shard, ShardCheck, UnitKind, Verdict, WorkUnit } from './work';
export { DEFAULT_LEDGER_OPTIONS } from './work';

interface Slot {
  speed: SpeedModel;
  /** The task this peer computes (null: idle), the one place a peer's busyness is held. */
  busyWith: number | null;
  /** Sent an unusable result: no more work until it is ready again. */
  quarantined: boolean;
}

/** Answered tasks kept so a resent copy is still recognised as a duplicate. */
const KEEP_ANSWERED = 4096;

export class WorkLedger {
  readonly opts: LedgerOptions;
  private readonly peers = new Map<string, Slot>();
  private readonly tasks = new Map<number, { shard: Shard; attempt: Attempt }>();
  private readonly answered: number[] = [];
  /** Deadlines missed in a row, per peer; survives a reconnect (a silent peer cannot reset it by reconnecting). */
  private readonly misses = new Map<string, number>();
  private nextTaskId = 1;
  readonly counters: LedgerCounters = { duplicatesDropped: 0, lateDropped: 0, reassigned: 0 };
  /** Every counted event, with the unit it concerns (per-epoch accounting subscribes). */
  onCount: (counter: keyof LedgerCounters, unit: WorkUnit | null) => void = () => undefined;

  constructor(opts: Partial<LedgerOptions> = {}) {
    this.opts = { ...DEFAULT_LEDGER_OPTIONS, ...opts };
  }

  count(counter: keyof LedgerCounters, unit: WorkUnit | null): void {
    this.counters[counter]++;
    this.onCount(counter, unit);
  }

  // --- task ids ---

  get taskIdCursor(): number {
    return this.nextTaskId;
  }

  continueTaskIds(next: number): void {
    this.nextTaskId = Math.max(this.nextTaskId, next);
  }

  allocateTaskId(): number {
    return this.nextTaskId++;
  }

  // --- peers ---

  get peerCount(): number {
    return this.peers.size;
  }

  addPeer(peerId: string, speed: SpeedModel): void {
    this.peers.set(peerId, { speed, busyWith: null, quarantined: false });
  }

  setSpeed(peerId: string, speed: SpeedModel): void {
    const p = this.peers.get(peerId);
    if (p && Number.isFinite(speed.msPerSample) && speed.msPerSample > 0) p.speed = speed;
  }

  speedOf(peerId: string): SpeedModel | null {
    return this.peers.get(peerId)?.speed ?? null;
  }

  /** The peer left: its live attempts end. Returns the shards that lost a live copy. */
  removePeer(peerId: string): Shard[] {
    if (!this.peers.delete(peerId)) return [];
    return this.endAttempts(peerId);
  }

  /** Ends the peer's live attempts; their shards are orphaned (to be given to others). */
  private endAttempts(peerId: string): Shard[] {
    const lost: Shard[] = [];
    for (const { shard, attempt } of this.tasks.values()) {
      if (attempt.peerId !== peerId || !attempt.live) continue;
      attempt.live = false;
      shard.orphaned = true;
      lost.push(shard);
    }
    return lost;
  }

  /** Whether the peer has a task out right now (the dashboard's "computing"). */
  busy(peerId: string): boolean {
    const p = this.peers.get(peerId);
    return p !== undefined && p.busyWith !== null;
  }

  benched(peerId: string): boolean {
    return (this.misses.get(peerId) ?? 0) >= this.opts.benchAfterMisses;
  }

  /** Peers free for work, fastest first (ties by id, so the order is the same in every run). */
  idlePeers(): string[] {
    return [...this.peers.entries()]
      .filter(([id, p]) => p.busyWith === null && !p.quarantined && !this.benched(id))
      .sort((a, b) => samplesPerSec(b[1].speed) - samplesPerSec(a[1].speed) || (a[0] < b[0] ? -1 : 1))
      .map(([id]) => id);
  }

  /** Frees every peer computing a task of a closed unit (a new barrier round starts). */
  freeClosed(): void {
    for (const p of this.peers.values()) {
      if (p.busyWith === null) continue;
      const t = this.tasks.get(p.busyWith);
      if (!t || t.shard.unit.closed) p.busyWith = null;
    }
  }

  // --- work ---

  /** Closes a unit: its tasks are forgotten, so any later result is stale. */
  close(unit: WorkUnit): void {
    unit.closed = true;
    for (const [id, t] of this.tasks) if (t.shard.unit === unit) this.tasks.delete(id);
  }

  /** A task of `shard` for `peerId`, with its deadline by the peer's cost model. */
  issue(peerId: string, shard: Shard, now: number, backup: boolean): SendEffect {
    const peer = this.peers.get(peerId)!;
    const taskId = this.nextTaskId++;
    const n = shard.end - shard.start;
    const attempt: Attempt = { taskId, peerId, round: shard.unit.id, version: shard.unit.version, sentAt: now, deadline: now + this.opts.deadlineFloorMs + this.opts.deadlineSlack * expectedMs(peer.speed, n), live: true, missed: false };
    shard.attempts.push(attempt);
    shard.orphaned = false;
    peer.busyWith = taskId;
    this.tasks.set(taskId, { shard, attempt });
    const u = shard.unit;
    return { type: 'send', peerId, taskId, kind: u.kind, roundId: attempt.round, version: attempt.version, indices: u.items.subarray(shard.start, shard.end), backup };
  }

  /** The task behind a result, if it is this peer's and its unit still open. */
  lookup(peerId: string, taskId: number): { shard: Shard; attempt: Attempt } | null {
    const t = this.tasks.get(taskId);
    return t && t.attempt.peerId === peerId && !t.shard.unit.closed ? t : null;
  }

  /**
   * A result came back: the peer is free and has answered (its misses reset);
   * the verdict says whether it may cover its shard. `accepted` does not cover
   * it yet: the caller checks the content first, then calls `cover` (or `fail`).
   */
  judge(peerId: string, taskId: number): { verdict: Verdict; shard: Shard | null } {
    const peer = this.peers.get(peerId);
    if (peer && peer.busyWith === taskId) peer.busyWith = null;
    if (peer?.quarantined) return { verdict: 'unknown', shard: null };
    const t = this.tasks.get(taskId);
    if (!t || t.shard.unit.closed) {
      // A task of a closed unit (or never ours): count only what we really sent.
      if (taskId > 0 && taskId < this.nextTaskId) {
        this.misses.delete(peerId);
        this.count('lateDropped', null);
        return { verdict: 'stale', shard: null };
      }
      return { verdict: 'unknown', shard: null };
    }
    if (t.attempt.peerId !== peerId) return { verdict: 'unknown', shard: null };
    this.misses.delete(peerId);
    t.attempt.live = false;
    if (t.shard.done) {
      this.count('duplicatesDropped', t.shard.unit);
      return { verdict: 'duplicate', shard: t.shard };
    }
    return { verdict: 'accepted', shard: t.shard };
  }

  /** The shard is covered by `peerId`'s result. */
  cover(shard: Shard, peerId: string): void {
    shard.done = true;
    shard.winner = peerId;
    for (const a of shard.attempts) {
      if (a.live) continue;
      this.answered.push(a.taskId);
    }
    while (this.answered.length > KEEP_ANSWERED) {
      const id = this.answered.shift()!;
      const t = this.tasks.get(id);
      if (t && !t.attempt.live) this.tasks.delete(id);
    }
  }

  /** An attempt gave its shard back without covering it (a stale async result): the shard may be handed out again. */
  release(shard: Shard): void {
    if (!shard.done && !shard.attempts.some((a) => a.live)) shard.orphaned = true;
  }

  /**
   * A result was unusable (malformed, NaN, not its task's): the attempt ends,
   * the peer gets no more work until it is ready again. Returns the shard.
   */
  fail(peerId: string, taskId: number): Shard | null {
    const peer = this.peers.get(peerId);
    if (peer) {
      peer.quarantined = true;
      if (peer.busyWith === taskId) peer.busyWith = null;
    }
    const t = this.tasks.get(taskId);
    if (!t || t.attempt.peerId !== peerId) return null;
    if (t.attempt.live) {
      t.attempt.live = false;
      t.shard.orphaned = true;
    }
    return t.shard;
  }

  /** Ready peers that are not quarantined, busy or idle (who could still compute a shard). */
  workers(): string[] {
    return [...this.peers.entries()].filter(([, p]) => !p.quarantined).map(([id]) => id);
  }

  /**
   * The peer failed spot checks: no more work, and its live attempts end (their
   * shards go back to the pool); a result it sends later is `unknown`.
   * Returns the shards that lost a live copy.
   */
  quarantine(peerId: string): Shard[] {
    const peer = this.peers.get(peerId);
    if (!peer) return [];
    peer.quarantined = true;
    peer.busyWith = null;
    return this.endAttempts(peerId);
  }

  /**
   * Time passed: attempts newly past their deadline count as misses against
   * their peers. A first miss is forgiven (a lost frame; the backup covers
   * it); each further miss in a row teaches the cost model the time the shard
   * has taken so far, so the next shards are smaller and deadlines longer.
   * Returns the attempts that became late.
   */
  noteLate(now: number): { shard: Shard; attempt: Attempt }[] {
    const late: { shard: Shard; attempt: Attempt }[] = [];
    for (const t of this.tasks.values()) {
      const a = t.attempt;
      if (!a.live || a.missed || a.deadline > now || t.shard.done) continue;
      a.missed = true;
      late.push(t);
      const n = (this.misses.get(a.peerId) ?? 0) + 1;
      this.misses.set(a.peerId, n);
      const p = this.peers.get(a.peerId);
      if (p && n >= 2) p.speed = missed(p.speed, t.shard.end - t.shard.start, now - a.sentAt);
    }
    return late;
  }

  /**
   * The peer went silent (heartbeat.ts): its live attempts are due now, so the next noteLate counts them
   * late and backups go out, while the peer keeps its place. Returns how many attempts were brought forward.
   */
  expire(peerId: string, now: number): number {
    let n = 0;
    for (const { shard, attempt: a } of this.tasks.values()) {
      if (a.peerId !== peerId || !a.live || a.missed || shard.done || a.deadline <= now) continue;
      a.deadline = now;
      n++;
    }
    return n;
  }

  /** The earliest deadline of a live attempt not yet noted late, for the server's single timer. */
  nextDeadline(): number | null {
    let min: number | null = null;
    for (const { shard, attempt: a } of this.tasks.values()) {
      if (shard.done || !a.live || a.missed) continue;
      if (min === null || a.deadline < min) min = a.deadline;
    }
    return min;
  }

  /** Per-peer work in flight, for the dashboard and for tests. */
  inFlight(): Map<string, number> {
    const m = new Map<string, number>();
    for (const [id, p] of this.peers) if (p.busyWith !== null) m.set(id, p.busyWith);
    return m;
  }
}
