import type { Effect, RoundEngine } from '../round/engine';
import type { Shard, WorkLedger } from '../round/ledger';
import { medianOf } from './contributions';
import { SpotChecker, evalDistance, relativeDistance, type Distance, type PeerTrust } from './spotCheck';

/**
 * Spot checks wired into the barrier rounds (`--spot-check F`). The engine
 * asks `picks` when it first hands out a shard; a picked shard is covered
 * only once two peers have computed it on the same weights (the engine gives
 * the copy to an idle peer that has not computed it). Their results are held
 * here, not added anywhere, until SpotChecker settles them: agreement covers
 * the shard with the first result; disagreement sends it to a third peer, and
 * the majority's result covers it while the odd one out takes a strike.
 * A peer with enough strikes is quarantined through the host, with the
 * samples it had accepted since its last passed check.
 *
 * What is picked: a seeded fraction F of sync training shards (and of
 * local-steps shards when the inner optimizer keeps no state: see
 * `trainCheckable`) and of async batches (three copies sent at once on the
 * same weights: round/asyncPolicy.ts), and every evaluation shard (whatever
 * the mode), so a forged evaluation never reaches the report.
 */
export interface SpotHost {
  readonly ledger: WorkLedger;
  readonly engine: RoundEngine;
  readonly step: number;
  now(): number;
  log(line: string): void;
  perform(effects: Effect[]): void;
  /** Quarantines the peer (record, report, dashboard); its live shards go to others. */
  quarantinePeer(peerId: string, code: string, reason: string): void;
}

/**
 * Whether training shards can be spot-checked in this run: in sync and async
 * mode, and in local-steps mode when the inner optimizer is plain sgd. Any other inner
 * optimizer (momentum, adam, ...) keeps per-peer state between rounds, so two
 * honest peers given the same LOCAL task return different weight changes.
 */
export function trainCheckable(c: { mode: string; optimizer: string }): boolean {
  return c.mode === 'sync' || c.mode === 'async' || (c.mode === 'local' && c.optimizer === 'sgd');
}

export interface SpotStats {
  fraction: number;
  tolerance: number;
  /** Checks settled (agreed or refereed). */
  checks: number;
  /** Checks that needed a referee. */
  refereed: number;
  /** Disagreements left without a referee (no third peer): the first result was taken. */
  unrefereed: number;
  /** Largest distance between two results that agreed (honest backends' spread, measured in the run). */
  maxAgreeing: number;
}

export interface TrustView extends PeerTrust {
  /** Step at which it was quarantined by spot checks (null: never). */
  quarantinedAtStep: number | null;
  /** Mean norm of this peer's per-sample training gradients (null: none yet). */
  gradNorm: number | null;
  /** gradNorm over the median of every peer's gradNorm: ~1 for honest peers, far from 1 for a scaled or noisy one. */
  normRatio: number | null;
}

interface Held<T> {
  peerId: string;
  vector: Float32Array;
  payload: T;
}

export class SpotRounds {
  /** Training checks; its `accepted` counts the samples taken on trust since a peer's last passed check. */
  readonly checker: SpotChecker;
  /** Evaluation checks, tallied apart: a peer's honest gradients do not vouch for its evaluations (the liar). */
  readonly evalChecker: SpotChecker;
  readonly stats: SpotStats;
  private readonly held = new Map<Shard, Held<unknown>[]>();
  private readonly quarantinedAt = new Map<string, number>();
  /** Running mean of each peer's per-sample gradient norm ||g / count|| (every accepted training shard). */
  private readonly norms = new Map<string, { sum: number; n: number }>();

  constructor(
    private readonly host: SpotHost,
    readonly fraction: number,
    private readonly trainChecked: boolean,
    seed = 1,
  ) {
    this.checker = new SpotChecker({ fraction, seed });
    this.evalChecker = new SpotChecker({ fraction: 1, seed });
    this.stats = { fraction, tolerance: this.checker.tolerance, checks: 0, refereed: 0, unrefereed: 0, maxAgreeing: 0 };
  }

  get enabled(): boolean {
    return this.fraction > 0;
  }

  /** Whether a shard handed out for the first time is computed twice. */
  picks(shard: Shard): boolean {
    if (!this.enabled) return false;
    if (shard.unit.kind === 'eval') return true;
    return this.trainChecked && this.checker.picks(shard.unit.id, shard.start);
  }

  /** A checked training result; returns the result that covers the shard, or null while the check is open. */
  train<T>(shard: Shard, peerId: string, grad: Float32Array, payload: T): Held<T> | null {
    return this.result(this.checker, shard, peerId, Float32Array.from(grad), payload, relativeDistance);
  }

  /** A checked evaluation result (vector from `evalVector`). */
  eval<T>(shard: Shard, peerId: string, vector: Float32Array, payload: T): Held<T> | null {
    return this.result(this.evalChecker, shard, peerId, vector, payload, evalDistance);
  }

  /** An accepted, unchecked training contribution: suspect until the peer's next passed check; its norm for the trust table. */
  accepted(peerId: string, grad: Float32Array, count: number): void {
    if (this.enabled) this.checker.accepted(peerId, count);
    let s = 0;
    for (let i = 0; i < grad.length; i++) s += grad[i]! * grad[i]!;
    const nrm = Math.sqrt(s) / Math.max(1, count);
    if (!Number.isFinite(nrm)) return;
    const r = this.norms.get(peerId) ?? { sum: 0, n: 0 };
    r.sum += nrm;
    r.n++;
    this.norms.set(peerId, r);
  }

  /** Every peer's trust record (spot checks and contribution norm), for the status feed and the report. */
  table(): Record<string, TrustView> {
    const out: Record<string, TrustView> = {};
    const ids = new Set([...Object.keys(this.checker.table()), ...Object.keys(this.evalChecker.table()), ...this.norms.keys()]);
    const means = [...this.norms.values()].map((n) => n.sum / n.n);
    const median = means.length > 0 ? medianOf(means) : 0;
    for (const id of ids) {
      const n = this.norms.get(id);
      const gradNorm = n ? n.sum / n.n : null;
      const t = this.checker.trust(id);
      const e = this.evalChecker.trust(id);
      const trust: PeerTrust = { passed: t.passed + e.passed, failed: t.failed + e.failed, quarantined: t.quarantined || e.quarantined, reason: t.reason || e.reason, acceptedSinceLastPass: t.acceptedSinceLastPass };
      out[id] = { ...trust, quarantinedAtStep: this.quarantinedAt.get(id) ?? null, gradNorm, normRatio: gradNorm !== null && median > 0 ? gradNorm / median : null };
    }
    return out;
  }

  private result<T>(checker: SpotChecker, shard: Shard, peerId: string, vector: Float32Array, payload: T, distanceOf: Distance): Held<T> | null {
    const check = shard.check!;
    this.forgetClosed();
    const list = (this.held.get(shard) ?? []) as Held<T>[];
    if (check.answered.includes(peerId)) {
      // A second copy from the same peer proves nothing.
      this.host.perform(this.host.engine.assign(this.host.now()));
      return null;
    }
    check.answered.push(peerId);
    list.push({ peerId, vector, payload });
    this.held.set(shard, list);
    if (list.length < check.need) return this.wait();
    const v = checker.settle(
      list.map((h) => ({ peerId: h.peerId, grad: h.vector })),
      distanceOf,
    );
    const what = `${shard.unit.kind} ${shard.unit.kind === 'train' ? 'step' : 'pass'} ${shard.unit.id} samples ${shard.start}-${shard.end}`;
    if (v.kind === 'referee') {
      const referees = this.host.ledger.workers().filter((id) => !check.answered.includes(id));
      if (referees.length > 0) {
        check.need = 3;
        this.host.log(`spot check: ${list[0]!.peerId} and ${list[1]!.peerId} disagree on ${what} (distance ${v.distance.toPrecision(3)}, tolerance ${this.checker.tolerance}); a third peer referees`);
        return this.wait();
      }
      this.stats.unrefereed++;
      this.host.log(`spot check: ${list[0]!.peerId} and ${list[1]!.peerId} disagree on ${what} and no third peer can referee: the first result is taken`);
    }
    this.held.delete(shard);
    this.stats.checks++;
    if (v.kind === 'agree') {
      this.stats.maxAgreeing = Math.max(this.stats.maxAgreeing, v.distance);
      return list[0]!;
    }
    if (v.kind === 'settled') {
      // Three copies from the start (async) that all agree needed no referee.
      if (v.failed.length > 0) this.stats.refereed++;
      else for (let a = 0; a < list.length; a++) for (let b = a + 1; b < list.length; b++) this.stats.maxAgreeing = Math.max(this.stats.maxAgreeing, distanceOf(list[a]!.vector, list[b]!.vector));
      for (const id of v.quarantined) this.quarantine(checker, id, shard.unit.kind);
      return list.find((h) => v.passed.includes(h.peerId))!;
    }
    if (v.kind === 'undecided') this.host.log(`spot check: three different results for ${what}; nobody is blamed, the first result is taken`);
    return list[0]!;
  }

  private wait(): null {
    this.host.perform(this.host.engine.assign(this.host.now()));
    return null;
  }

  private quarantine(checker: SpotChecker, peerId: string, kind: string): void {
    const t = checker.trust(peerId);
    this.quarantinedAt.set(peerId, this.host.step);
    const suspect = this.checker.trust(peerId).acceptedSinceLastPass;
    const reason = `${kind === 'eval' ? 'evaluation' : 'training'} results ${t.reason}; ${suspect} samples of its training gradients were accepted since its last passed check`;
    this.host.quarantinePeer(peerId, 'SPOT_CHECK_FAILED', reason);
  }

  /** Held results of units already closed (a round ended, a pass restarted) or of checks called off (async: a copy lost) are dropped. */
  private forgetClosed(): void {
    for (const s of this.held.keys()) if (s.unit.closed || !s.check || s.done) this.held.delete(s);
  }
}
