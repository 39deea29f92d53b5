/**
 * When each shard of the recent rounds went out and came back, per peer, and
 * where each training step's wall time went. Fed by the coordinator (sent,
 * returned, step done); read by the dashboard. The bars are bounded to the last
 * few rounds; the breakdown keeps one small record per step.
 */
export type BarOutcome = 'accepted' | 'duplicate' | 'stale' | 'unknown' | 'failed';

export interface ShardBar {
  kind: 'train' | 'eval';
  round: number;
  taskId: number;
  peerId: string;
  size: number;
  backup: boolean;
  /** Coordinator clock (ms). */
  sentAt: number;
  returnedAt: number | null;
  computeMs: number | null;
  outcome: BarOutcome | null;
}

/** One training step's wall time cut into parts that add up to it. */
export interface StepBreakdown {
  step: number;
  /** Mean shard compute time inside the tabs. */
  computeMs: number;
  /** Mean (round start to result in) minus compute: serialisation, network, queueing. */
  transferMs: number;
  /** Last result in minus the mean arrival: time the fleet idles for the slowest shard. */
  waitMs: number;
  /** Averaging the gradients and applying the optimizer. */
  updateMs: number;
  shards: number;
}

export class StepTimeline {
  readonly bars: ShardBar[] = [];
  readonly breakdown: StepBreakdown[] = [];
  private readonly open = new Map<string, ShardBar>();
  /** Shards out per peer right now (sent, not back). */
  private readonly out = new Map<string, number>();

  constructor(private readonly keepRounds = 8) {}

  sent(e: { kind: 'train' | 'eval'; roundId: number; taskId: number; peerId: string; size: number; backup: boolean }, now: number): void {
    const bar: ShardBar = { kind: e.kind, round: e.roundId, taskId: e.taskId, peerId: e.peerId, size: e.size, backup: e.backup, sentAt: now, returnedAt: null, computeMs: null, outcome: null };
    const last = this.bars.at(-1);
    this.bars.push(bar);
    this.open.set(key(e.peerId, e.taskId), bar);
    this.out.set(e.peerId, (this.out.get(e.peerId) ?? 0) + 1);
    if (!last || last.kind !== bar.kind || last.round !== bar.round) this.prune();
  }

  returned(peerId: string, taskId: number, now: number, computeMs: number, outcome: BarOutcome): void {
    const k = key(peerId, taskId);
    const bar = this.open.get(k);
    if (!bar) return;
    this.open.delete(k);
    this.out.set(peerId, Math.max(0, (this.out.get(peerId) ?? 1) - 1));
    bar.returnedAt = now;
    bar.computeMs = computeMs;
    bar.outcome = outcome;
  }

  /** Whether a peer has a bar still open (the timeline's own view; the run asks the work ledger). */
  busy(peerId: string): boolean {
    return (this.out.get(peerId) ?? 0) > 0;
  }

  /** A step's results are all in (`resultsAt`) and its update applied (`updatedAt`). */
  stepDone(round: number, step: number, startedAt: number, resultsAt: number, updatedAt: number, taskId?: number): StepBreakdown {
    // An async step is one task's gradient: its bar only (other tasks sent at the same step are other steps).
    const ok = this.bars.filter((b) => b.kind === 'train' && b.round === round && b.outcome === 'accepted' && b.returnedAt !== null && (taskId === undefined || b.taskId === taskId));
    const n = ok.length;
    const compute = n ? ok.reduce((a, b) => a + b.computeMs!, 0) / n : 0;
    const arrival = n ? ok.reduce((a, b) => a + (b.returnedAt! - startedAt), 0) / n : resultsAt - startedAt;
    const total = resultsAt - startedAt;
    const c = Math.min(compute, arrival);
    const entry: StepBreakdown = {
      step,
      computeMs: round3(c),
      transferMs: round3(Math.max(0, arrival - c)),
      waitMs: round3(Math.max(0, total - arrival)),
      updateMs: round3(updatedAt - resultsAt),
      shards: n,
    };
    // One small record per step, kept like the history (the dashboard reads it as a growing list).
    this.breakdown.push(entry);
    return entry;
  }

  private prune(): void {
    // Rounds are told apart by (kind, id); keep the bars of the last `keepRounds` of them.
    const seen = new Set<string>();
    let cut = 0;
    for (let i = this.bars.length - 1; i >= 0; i--) {
      const b = this.bars[i]!;
      seen.add(`${b.kind}${b.round}`);
      if (seen.size > this.keepRounds) {
        cut = i + 1;
        break;
      }
    }
    if (cut === 0) return;
    for (const b of this.bars.slice(0, cut)) {
      if (b.returnedAt !== null || !this.open.delete(key(b.peerId, b.taskId))) continue;
      this.out.set(b.peerId, Math.max(0, (this.out.get(b.peerId) ?? 1) - 1));
    }
    this.bars.splice(0, cut);
  }
}

const key = (peerId: string, taskId: number): string => `${peerId}#${taskId}`;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
