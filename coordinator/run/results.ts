import { fail, isTabtrainError } from '../../shared/errors';
import type { EvalResultFrame, GradFrame } from '../../shared/protocol';
import type { Effect, RoundEngine } from '../round/engine';
import type { Attempt, Shard, Verdict, WorkLedger } from '../round/ledger';
import type { TrainingPolicy } from '../round/policy';
import type { Evaluator } from '../evaluation/evaluator';
import { evalVector } from '../aggregate/spotCheck';
import type { SpotRounds } from '../aggregate/spotRounds';
import { checkGradient } from './gradCheck';
import type { ParamStore } from './paramStore';
import type { Roster } from './roster';
import type { StepTimeline } from '../dashboard/timeline';
import type { WeightsBroadcast } from '../broadcast/weightsBroadcast';
import type { RunTrace } from './trace';

/**
 * The one path every result takes, in every mode: the task it names must be
 * this peer's, with the same step, weights version and sample count; its
 * content must fit the model and be finite. A result that fails either
 * quarantines its peer (the reason goes in the peer's record; the shard goes
 * back to the ledger) and is thrown as a TabtrainError, so the server closes
 * that one socket: one peer's bad output never ends the run. Then the ledger
 * judges it (accepted, duplicate, stale, unknown), the timeline records its
 * return, and an accepted one goes to the mode's policy (training) or the
 * evaluator.
 */
export interface ResultHost {
  readonly ledger: WorkLedger;
  readonly engine: RoundEngine;
  readonly policy: TrainingPolicy;
  readonly store: ParamStore;
  readonly evaluator: Evaluator;
  readonly timeline: StepTimeline;
  readonly broadcast: WeightsBroadcast;
  readonly roster: Roster;
  readonly trace: RunTrace;
  /** Spot checks (--spot-check): checked shards' results are held there until settled. */
  readonly spot: SpotRounds;
  now(): number;
  log(line: string): void;
  perform(effects: Effect[]): void;
  /** The run cannot go on: every ready peer is quarantined for non-finite results. */
  diverged(why: string): void;
}

export class ResultPath {
  /** Decode buffer for compressed gradients, reused every result. */
  private scratch: Float32Array | null = null;

  constructor(private readonly run: ResultHost) {}

  onGrad(peerId: string, g: GradFrame): void {
    const run = this.run;
    const now = this.seen(peerId, g.taskId);
    const t = run.ledger.lookup(peerId, g.taskId);
    if (!t || t.shard.unit.kind !== 'train') return this.late(peerId, g.taskId, g.computeMs, now);
    let grad: Float32Array;
    try {
      matches(t.attempt, g.taskId, { step: g.step, version: g.weightsVersion });
      grad = checkGradient(g, t.shard.end - t.shard.start, run.store, () => (this.scratch ??= new Float32Array(run.store.trainableSize)));
    } catch (e) {
      this.quarantine(peerId, g.taskId, g.computeMs, e);
      throw e;
    }
    const { verdict, shard } = run.ledger.judge(peerId, g.taskId);
    this.returned(peerId, g.taskId, now, g.computeMs, verdict);
    if (verdict !== 'accepted' || !shard || !run.policy.owns(shard)) return this.notAccepted(verdict, shard, now);
    if (shard.check) {
      // A spot-checked shard: covered by the settled result once its copies are in.
      const w = run.spot.train(shard, peerId, grad, g);
      if (w) run.policy.accepted(shard, w.peerId, w.payload, w.vector, now);
      return;
    }
    run.spot.accepted(peerId, grad, g.count);
    run.policy.accepted(shard, peerId, g, grad, now);
  }

  onEval(peerId: string, r: EvalResultFrame): void {
    const run = this.run;
    const now = this.seen(peerId, r.taskId);
    const t = run.ledger.lookup(peerId, r.taskId);
    if (!t || t.shard.unit.kind !== 'eval') return this.late(peerId, r.taskId, r.computeMs, now);
    try {
      matches(t.attempt, r.taskId, { step: r.evalId, version: t.attempt.version });
      run.evaluator.check(r, t.shard.end - t.shard.start);
    } catch (e) {
      this.quarantine(peerId, r.taskId, r.computeMs, e);
      throw e;
    }
    const { verdict, shard } = run.ledger.judge(peerId, r.taskId);
    this.returned(peerId, r.taskId, now, r.computeMs, verdict);
    if (verdict !== 'accepted' || !shard) return this.notAccepted(verdict, shard, now);
    let result = { peerId, payload: r };
    if (shard.check) {
      // Every evaluation shard is spot-checked when checks are on: only an agreed (or majority) result is counted.
      const w = run.spot.eval(shard, peerId, evalVector(r), r);
      if (!w) return;
      result = w;
    }
    run.ledger.cover(shard, result.peerId);
    const effects = run.engine.covered(now);
    run.evaluator.add(result.payload);
    const p = run.roster.peers.get(result.peerId);
    if (p) p.evalSamples += result.payload.count;
    run.perform(effects);
  }

  private seen(peerId: string, taskId: number): number {
    const now = this.run.now();
    const p = this.run.roster.peers.get(peerId);
    if (p) p.lastSeen = now;
    this.run.broadcast.answered(peerId, taskId);
    return now;
  }

  /** The timeline's record of a result's return, and the trace's. */
  private returned(peerId: string, taskId: number, now: number, computeMs: number, verdict: Verdict | 'failed'): void {
    this.run.timeline.returned(peerId, taskId, now, computeMs, verdict);
    this.run.trace.emit({ type: 'result', peerId, taskId, verdict });
  }

  /** A result for a closed unit, or for no task of this peer's: judged (and counted) only. */
  private late(peerId: string, taskId: number, computeMs: number, now: number): void {
    const { verdict, shard } = this.run.ledger.judge(peerId, taskId);
    this.returned(peerId, taskId, now, computeMs, verdict);
    this.notAccepted(verdict, shard, now);
  }

  private notAccepted(verdict: Verdict, shard: Shard | null, now: number): void {
    const run = this.run;
    if (verdict === 'unknown') return;
    run.perform(run.engine.assign(now));
    if (shard && run.policy.owns(shard) && verdict === 'duplicate') run.policy.duplicate(shard);
    else run.policy.freed(now);
  }

  /** Spot checks found the peer disagreeing with the others: quarantined like a peer with an unusable result (its socket stays open). */
  quarantinePeer(peerId: string, code: string, reason: string): void {
    const run = this.run;
    const now = run.now();
    const lost = run.ledger.quarantine(peerId);
    const p = run.roster.peers.get(peerId);
    if (p && !p.quarantine) {
      p.quarantine = { code, reason, at: now };
      run.log(`peer ${p.nickname} (${p.id}) quarantined: ${code}: ${reason}; it gets no more work in this run`);
    }
    const own = lost.filter((s) => run.policy.owns(s));
    if (own.length > 0) run.policy.lost(own, now, 'failed');
    run.perform(run.engine.assign(now));
  }

  /** The peer's result was unusable: it gets no more work in this run; its shard goes to others. */
  private quarantine(peerId: string, taskId: number, computeMs: number, e: unknown): void {
    const run = this.run;
    const now = run.now();
    const shard = run.ledger.fail(peerId, taskId);
    this.returned(peerId, taskId, now, computeMs, 'failed');
    const p = run.roster.peers.get(peerId);
    const code = isTabtrainError(e) ? e.code : 'INTERNAL';
    const reason = e instanceof Error ? e.message : String(e);
    if (p && !p.quarantine) {
      p.quarantine = { code, reason, at: now };
      run.log(`peer ${p.nickname} (${p.id}) quarantined: ${code}: ${reason}; it gets no more work in this run`);
    }
    if (shard && run.policy.owns(shard)) run.policy.lost([shard], now, 'failed');
    run.perform(run.engine.assign(now));
    const ready = [...run.roster.peers.values()].filter((x) => x.status === 'ready');
    if (code === 'GRAD_NOT_FINITE' && ready.length > 0 && ready.every((x) => x.quarantine)) {
      run.diverged('every ready peer returned NaN or Infinity (the model itself has diverged); lower the learning rate');
    }
  }
}

/** A result names its task's step and weights version, or it is refused. */
function matches(a: Attempt, taskId: number, r: { step: number; version: number }): void {
  if (r.step !== a.round || r.version !== a.version) {
    throw fail('GRAD_UNKNOWN_TASK', `result for task ${taskId} says step ${r.step} on weights ${r.version}; the task was step ${a.round} on weights ${a.version}`, 1008);
  }
}
