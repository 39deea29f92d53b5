import { balancedSizes } from './split';
import { expectedMs, samplesPerSec, speedModel, type SpeedModel } from './speed';

/**
 * The round state machine: which peer computes which shard of the current
 * round, when a shard is late, what to do when a peer leaves. It owns no
 * sockets, timers or tensors: the server feeds it events with the time, and
 * performs the effects it returns (send a task, finish the round). That keeps
 * every fault (late, lost, duplicated, disconnected) testable with a fake clock.
 *
 * A round covers a fixed list of sample indices exactly once: a training step
 * (the global batch) or an evaluation pass. The list is cut into shards; each
 * shard is done by the first attempt whose result arrives, any other copy is
 * dropped as a duplicate.
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

export type RoundKind = 'train' | 'eval';

export interface RoundSpec {
  kind: RoundKind;
  /** Step number (train) or evaluation id (eval). */
  id: number;
  /** The weights version the tasks compute on. */
  version: number;
  items: Uint32Array;
}

export interface EngineOptions {
  /** A shard is late after `slack` times its expected compute time ... */
  deadlineSlack: number;
  /** ... plus this floor (transfer, scheduling jitter), in ms. */
  deadlineFloorMs: number;
  /** At most this many copies of one shard in flight at once. */
  maxAttempts: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = { deadlineSlack: 3, deadlineFloorMs: 3000, maxAttempts: 2 };

export type Effect =
  | { type: 'send'; peerId: string; taskId: number; kind: RoundKind; roundId: number; version: number; indices: Uint32Array; backup: boolean }
  | { type: 'complete'; kind: RoundKind; roundId: number };

export type Verdict = 'accepted' | 'duplicate' | 'stale' | 'unknown';

export interface EngineCounters {
  /** Results for a shard that another copy had already covered. */
  duplicatesDropped: number;
  /** Results for a round already closed. */
  lateDropped: number;
  /** Shards given to another peer because theirs left, failed or was late. */
  reassigned: number;
}

interface Attempt {
  taskId: number;
  peerId: string;
  deadline: number;
  live: boolean;
}

interface Shard {
  start: number;
  end: number;
  done: boolean;
  /** Set once the shard has been taken from a peer, so a later hand-out counts as a reassignment. */
  orphaned: boolean;
  attempts: Attempt[];
  /** The peer whose result covered the shard. */
  winner?: string;
}

/** busyWith value of a peer that sent an unusable result. */
const QUARANTINED = -1;

interface PeerSlot {
  speed: SpeedModel;
  /** Task of the current round this peer is computing, if any. */
  busyWith: number | null;
}

export class RoundEngine {
  private readonly opts: EngineOptions;
  private readonly peers = new Map<string, PeerSlot>();
  private round: RoundSpec | null = null;
  private shards: Shard[] = [];
  private readonly tasks = new Map<number, { roundId: number; kind: RoundKind; shard: Shard }>();
  private nextTaskId = 1;
  stage: RoundStage = RoundStage.IDLE;
  readonly counters: EngineCounters = { duplicatesDropped: 0, lateDropped: 0, reassigned: 0 };

  constructor(opts: Partial<EngineOptions> = {}) {
    this.opts = { ...DEFAULT_ENGINE_OPTIONS, ...opts };
  }

  get current(): RoundSpec | null {
    return this.round;
  }

  /** The number of samples task `taskId` covers, if it belongs to the current round. */
  taskSize(taskId: number): number | null {
    const t = this.tasks.get(taskId);
    return t ? t.shard.end - t.shard.start : null;
  }

  /** The next task id to be issued (a checkpoint keeps it, so ids never repeat across a restart). */
  get taskIdCursor(): number {
    return this.nextTaskId;
  }

  /** Continue issuing task ids from `next` (after a restart), never going back. */
  continueTaskIds(next: number): void {
    this.nextTaskId = Math.max(this.nextTaskId, next);
  }

  /** A task id outside any round (asynchronous training hands out its own tasks). */
  allocateTaskId(): number {
    return this.nextTaskId++;
  }

  get peerCount(): number {
    return this.peers.size;
  }

  /** A peer is ready for work (joined and warmed up), with its measured cost model (or samples/s). */
  peerReady(peerId: string, speed: SpeedModel | number, now: number): Effect[] {
    this.peers.set(peerId, { speed: typeof speed === 'number' ? speedModel(speed) : speed, busyWith: null });
    return this.assignPending(now);
  }

  updateSpeed(peerId: string, speed: SpeedModel): void {
    const p = this.peers.get(peerId);
    if (p && Number.isFinite(speed.msPerSample) && speed.msPerSample > 0) p.speed = speed;
  }

  /** A peer left (closed, crashed, refused): its unfinished shards go to others. */
  peerGone(peerId: string, now: number): Effect[] {
    if (!this.peers.delete(peerId)) return [];
    for (const s of this.shards) {
      for (const a of s.attempts) {
        if (a.peerId === peerId && a.live) {
          a.live = false;
          s.orphaned = true;
        }
      }
    }
    return this.assignPending(now);
  }

  startRound(spec: RoundSpec, now: number): Effect[] {
    this.round = spec;
    this.tasks.clear();
    for (const p of this.peers.values()) if (p.busyWith !== QUARANTINED) p.busyWith = null;
    this.shards = [];
    if (spec.items.length === 0) {
      this.stage = RoundStage.COMPLETE;
      return [{ type: 'complete', kind: spec.kind, roundId: spec.id }];
    }
    this.shards = [{ start: 0, end: spec.items.length, done: false, orphaned: false, attempts: [] }];
    this.stage = RoundStage.COLLECTING;
    return this.assignPending(now);
  }

  /** A result came back. Only an `accepted` result may touch the accumulator. */
  result(peerId: string, taskId: number, now: number): { verdict: Verdict; effects: Effect[] } {
    const t = this.tasks.get(taskId);
    const peer = this.peers.get(peerId);
    if (peer && peer.busyWith === taskId) peer.busyWith = null;
    if (!t || !this.round || t.roundId !== this.round.id || t.kind !== this.round.kind) {
      // A task of a closed round (or never ours): count only what we really sent.
      if (taskId > 0 && taskId < this.nextTaskId) {
        this.counters.lateDropped++;
        return { verdict: 'stale', effects: this.assignPending(now) };
      }
      return { verdict: 'unknown', effects: [] };
    }
    const attempt = t.shard.attempts.find((a) => a.taskId === taskId);
    if (!attempt || attempt.peerId !== peerId) return { verdict: 'unknown', effects: [] };
    attempt.live = false;
    if (t.shard.done) {
      this.counters.duplicatesDropped++;
      return { verdict: 'duplicate', effects: this.assignPending(now) };
    }
    t.shard.done = true;
    t.shard.winner = peerId;
    const effects = this.assignPending(now);
    if (this.shards.every((s) => s.done)) {
      this.stage = RoundStage.COMPLETE;
      effects.push({ type: 'complete', kind: this.round.kind, roundId: this.round.id });
    }
    return { verdict: 'accepted', effects };
  }

  /**
   * A result was unusable (wrong length, not finite): the shard goes back to
   * the pool, and the peer gets no more work until it is ready again (the
   * server closes it; it may reconnect).
   */
  failed(peerId: string, taskId: number, now: number): Effect[] {
    const t = this.tasks.get(taskId);
    const peer = this.peers.get(peerId);
    if (peer) peer.busyWith = QUARANTINED;
    if (!t) return [];
    for (const a of t.shard.attempts) {
      if (a.taskId === taskId && a.live) {
        a.live = false;
        t.shard.orphaned = true;
      }
    }
    return this.assignPending(now);
  }

  /** The earliest live deadline still ahead of `now`, for the server's single timer. */
  nextDeadline(now: number): number | null {
    let min: number | null = null;
    for (const s of this.shards) {
      if (s.done) continue;
      for (const a of s.attempts) if (a.live && a.deadline > now && (min === null || a.deadline < min)) min = a.deadline;
    }
    return min;
  }

  /** Time passed: late shards get a backup copy on an idle peer. */
  tick(now: number): Effect[] {
    return this.assignPending(now);
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

  /** Per-peer work in flight, for the dashboard and for tests. */
  inFlight(): Map<string, number> {
    const m = new Map<string, number>();
    for (const [id, p] of this.peers) if (p.busyWith !== null && p.busyWith !== QUARANTINED) m.set(id, p.busyWith);
    return m;
  }

  private idlePeers(): string[] {
    return [...this.peers.entries()]
      .filter(([, p]) => p.busyWith === null)
      .sort((a, b) => samplesPerSec(b[1].speed) - samplesPerSec(a[1].speed) || (a[0] < b[0] ? -1 : 1))
      .map(([id]) => id);
  }

  /** Hand every shard that has no live copy to idle peers, splitting it by speed when several are idle. */
  private assignPending(now: number): Effect[] {
    const effects: Effect[] = [];
    if (!this.round || this.stage === RoundStage.COMPLETE || this.stage === RoundStage.IDLE) return effects;
    const pending = this.shards.filter((s) => !s.done && !s.attempts.some((a) => a.live));
    if (pending.length === 0) {
      this.stage = RoundStage.COLLECTING;
      this.assignBackups(now, effects);
      return effects;
    }
    const idle = this.idlePeers();
    if (idle.length === 0) {
      const anyLive = this.shards.some((s) => s.attempts.some((a) => a.live));
      this.stage = anyLive ? RoundStage.COLLECTING : RoundStage.STARVED;
      return effects;
    }
    this.stage = RoundStage.COLLECTING;
    pending.sort((a, b) => b.end - b.start - (a.end - a.start));
    if (pending.length < idle.length) {
      // Fewer shards than idle peers: cut the largest pending shard across the spare peers.
      const largest = pending[0]!;
      const spare = idle.slice(0, idle.length - pending.length + 1);
      const parts = this.cut(largest, spare.map((id) => this.peers.get(id)!.speed));
      pending.splice(0, 1, ...parts);
    }
    for (let i = 0; i < pending.length && i < idle.length; i++) {
      const s = pending[i]!;
      if (s.orphaned) this.counters.reassigned++;
      effects.push(this.send(idle[i]!, s, now, false));
    }
    this.assignBackups(now, effects);
    return effects;
  }

  /** Backup work, as in synchronous SGD with backup workers: an idle peer takes a copy of a late shard. */
  private assignBackups(now: number, effects: Effect[]): void {
    for (const s of this.shards) {
      if (s.done) continue;
      const live = s.attempts.filter((a) => a.live);
      if (live.length === 0 || live.length >= this.opts.maxAttempts) continue;
      if (live.some((a) => a.deadline > now)) continue;
      const pick = this.idlePeers().find((id) => !live.some((a) => a.peerId === id));
      if (!pick) return;
      this.counters.reassigned++;
      effects.push(this.send(pick, s, now, true));
    }
  }

  /** Replace `shard` by contiguous children sized by `weights` (empty children dropped). */
  private cut(shard: Shard, models: SpeedModel[]): Shard[] {
    const sizes = balancedSizes(shard.end - shard.start, models);
    const children: Shard[] = [];
    let at = shard.start;
    for (const n of sizes) {
      if (n === 0) continue;
      children.push({ start: at, end: at + n, done: false, orphaned: shard.orphaned, attempts: [] });
      at += n;
    }
    const idx = this.shards.indexOf(shard);
    this.shards.splice(idx, 1, ...children);
    return children;
  }

  private send(peerId: string, s: Shard, now: number, backup: boolean): Effect {
    const round = this.round!;
    const peer = this.peers.get(peerId)!;
    const taskId = this.nextTaskId++;
    const n = s.end - s.start;
    const attempt: Attempt = { taskId, peerId, deadline: now + this.opts.deadlineFloorMs + this.opts.deadlineSlack * expectedMs(peer.speed, n), live: true };
    s.attempts.push(attempt);
    s.orphaned = false;
    peer.busyWith = taskId;
    this.tasks.set(taskId, { roundId: round.id, kind: round.kind, shard: s });
    return {
      type: 'send',
      peerId,
      taskId,
      kind: round.kind,
      roundId: round.id,
      version: round.version,
      indices: round.items.subarray(s.start, s.end),
      backup,
    };
  }
}
