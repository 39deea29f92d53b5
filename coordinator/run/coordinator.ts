import { AsyncPolicy } from '../round/asyncPolicy';
import { LocalPolicy } from '../round/localPolicy';
import { RoundStage, type Effect } from '../round/engine';
import type { SendEffect } from '../round/ledger';
import type { PolicyHost, TrainingPolicy } from '../round/policy';
import { samplesPerSec as samplesPerSecAt, speedModel } from '../round/speed';
import { SyncPolicy } from '../round/syncPolicy';
import { TaskSender } from '../broadcast/taskSender';
import { WeightsBroadcast } from '../broadcast/weightsBroadcast';
import { Evaluator } from '../evaluation/evaluator';
import { SpotRounds, trainCheckable } from '../aggregate/spotRounds';
import { createPlane } from '../p2p/createPlane';
import type { P2pPlane } from '../p2p/plane';
import { parseWeightsCodec } from '../../shared/compress';
import { encodeDone, type EvalResultFrame, type GradFrame, type HelloBody } from '../../shared/protocol';
import type { Io } from './io';
import { ResultPath } from './results';
import { RunModel } from './runModel';
import { Stage, step, type RunEvent } from './stage';
import type { ExitReason, PeerRecord, RunSetup } from './types';

export type { Io } from './io';
export { optimizerConfig, scheduleConfig } from './update';

/**
 * The training run, without sockets: membership, the mode's policy over the
 * work ledger, evaluation passes. The run's stage changes only through
 * `dispatch` (stage.ts), and this is the one place its effects are
 * performed. The server turns network and timer events into calls here, and
 * performs what comes out through `Io`. What the run holds and the step's
 * shared rules are in runModel.ts.
 */
export class TrainingCoordinator extends RunModel implements PolicyHost {
  readonly policy: TrainingPolicy;
  readonly evaluator: Evaluator;
  /** --mode async: the bounded-staleness policy (its report and counters); null in sync mode. */
  readonly async: AsyncPolicy | null;
  /** The weights on their way to the peers (--weights-codec) and what each peer holds. */
  readonly broadcast: WeightsBroadcast;
  private readonly tasks: TaskSender;
  private readonly results: ResultPath;
  private readonly sync: SyncPolicy | null;
  /** --mode local: local steps (DiLoCo) over barrier rounds; null in the other modes. */
  readonly local: LocalPolicy | null;
  /** --spot-check: redundant shards compared across peers, and each peer's trust record. */
  readonly spot: SpotRounds;
  /** --p2p: reduction trees of tabs, and the gradient bytes into the coordinator per step (p2p/plane.ts). */
  readonly p2p: P2pPlane;

  constructor(setup: RunSetup, io: Io) {
    super(setup, io);
    const c = setup.config;
    this.evaluator = new Evaluator(this, setup);
    const specs = [...setup.model.specs.filter((w) => w.trainable), ...setup.model.specs.filter((w) => !w.trainable)];
    this.broadcast = new WeightsBroadcast(parseWeightsCodec(c.weightsCodec), this.store, specs.map((w) => w.shape.reduce((a, b) => a * b, 1)));
    this.tasks = new TaskSender(io, c, this.broadcast, this.timeline);
    this.results = new ResultPath(this);
    this.spot = new SpotRounds(this, c.spotCheck, trainCheckable(c), c.seed);
    this.engine.pickCheck = (s) => this.spot.picks(s);
    // With spot checks on, every peer evaluates: an evaluation shard is how a lying peer is caught.
    if (c.spotCheck > 0) this.engine.evalMinShard = 0;
    this.async = c.mode === 'async' ? new AsyncPolicy(this, c.maxStaleness) : null;
    this.local = c.mode === 'local' ? new LocalPolicy(this, this.engine, c) : null;
    this.sync = this.async || this.local ? null : new SyncPolicy(this, this.engine);
    this.policy = this.async ?? this.local ?? this.sync!;
    if (this.async) this.async.pickCheck = (b) => this.spot.picks(b);
    this.p2p = createPlane(this, io, c);
    this.tasks.route = this.p2p;
  }

  // --- the stage: events in, effects performed here ---

  dispatch(e: RunEvent): void {
    const out = step(this.run, e, this.io.now());
    const from = this.run.stage;
    this.run = out.state;
    if (out.state.stage !== from) this.trace.emit({ type: 'stage', from, to: out.state.stage, exitReason: out.state.exitReason });
    for (const f of out.effects) {
      switch (f.type) {
        case 'begin':
          for (const p of this.peers.values()) if (p.status === 'ready' && !p.quarantine) this.ledger.addPeer(p.id, p.cost);
          break;
        case 'continue':
          this.boundary();
          break;
        case 'save-point':
          this.checkpointer?.atBoundary();
          break;
        case 'next':
          this.dispatch({ type: 'next', stepsLeft: this.step < this.totalSteps });
          break;
        case 'resume-pass':
          if (f.pass.then === 'epoch') this.evaluator.epochPass(f.pass.epoch);
          else this.evaluator.finalPasses(f.pass.reason);
          break;
        case 'final-passes':
          this.evaluator.finalPasses();
          break;
        case 'train':
          this.policy.pump(this.io.now());
          break;
        case 'finish':
          this.finished(f.reason);
          break;
      }
    }
  }

  /** A step boundary: the next step, a saved pass, or the final passes. */
  boundary(): void {
    this.dispatch({ type: 'boundary' });
  }

  /** Kept for callers that drive the loop by hand (checkpoint tests, the bench): a boundary. */
  nextStep(): void {
    this.boundary();
  }

  // --- membership ---

  /** A HELLO passed the token and version checks: a new peer, or a known one coming back. */
  join(hello: HelloBody): PeerRecord {
    const now = this.io.now();
    const known = this.roster.byToken(hello.reconnectToken);
    if (known) {
      if (known.status !== 'gone' && known.status !== 'reconnecting') this.dropFromLedger(known.id, now);
      Object.assign(known, { status: 'warming-up', backend: hello.backend, backendNote: hello.backendNote, lastSeen: now, sentWeights: -1 });
      known.connections++;
      return known;
    }
    return this.roster.add(hello, now);
  }

  ready(peerId: string, samplesPerSec: number, overheadMs = 0): void {
    const p = this.peers.get(peerId);
    if (!p) return;
    p.status = 'ready';
    p.cost = speedModel(samplesPerSec, overheadMs);
    p.speed = samplesPerSecAt(p.cost);
    this.trace.emit({ type: 'peer-ready', peerId, nickname: p.nickname, connections: p.connections });
    if (p.quarantine) return; // it stays out of the ledger: no work for it in this run
    if (this.local) this.io.log(`peer ${p.nickname} (${p.id}) joins the local-steps rounds with fresh inner optimizer state`);
    const now = this.io.now();
    this.ledger.addPeer(peerId, p.cost);
    const wasStarted = this.run.started;
    this.dispatch({ type: 'peer-ready', ready: this.readyPeers, minPeers: this.setup.config.minPeers });
    if (wasStarted || !this.run.started) this.perform(this.engine.assign(now));
    this.async?.freed(now);
  }

  leave(peerId: string, reconnecting: boolean): void {
    this.broadcast.gone(peerId);
    this.p2p.gone(peerId);
    const p = this.peers.get(peerId);
    if (!p || p.status === 'gone') return;
    p.status = reconnecting ? 'reconnecting' : 'gone';
    this.trace.emit({ type: 'peer-left', peerId, reconnecting });
    this.dropFromLedger(peerId, this.io.now());
    this.roster.prune();
    const starved = this.engine.stage === RoundStage.STARVED || (this.async !== null && this.state === Stage.TRAINING && this.readyPeers === 0);
    if (starved && this.state !== Stage.DONE) this.io.log('no peers: training is paused until one joins');
  }

  private dropFromLedger(peerId: string, now: number): void {
    const lost = this.ledger.removePeer(peerId);
    this.perform(this.engine.assign(now));
    this.policy.lost(lost.filter((s) => this.policy.owns(s)), now, 'left');
  }

  // --- results (results.ts: checks, quarantine, verdicts, timeline) ---

  /** A GRAD frame. Throws a TabtrainError (the server closes that client) when it must not touch the weights. */
  onGrad(peerId: string, g: GradFrame): void {
    this.trace.time('result', this.step, () => this.results.onGrad(peerId, g));
  }

  onEval(peerId: string, r: EvalResultFrame): void {
    this.results.onEval(peerId, r);
  }

  quarantinePeer(peerId: string, code: string, reason: string): void {
    this.results.quarantinePeer(peerId, code, reason);
  }

  /** A tab stopped answering pings (heartbeat.ts): its shards are due now, and backups go to idle peers at once. */
  peerSilent(peerId: string): void {
    if (this.ledger.expire(peerId, this.io.now()) > 0) this.tick();
  }

  /** Timer: attempts past their deadline are misses; the policies hand out backups. */
  tick(): void {
    const now = this.io.now();
    const late = this.ledger.noteLate(now).map((t) => t.shard);
    this.policy.late(late.filter((s) => this.policy.owns(s)), now);
    this.perform(this.engine.assign(now));
  }

  // --- control (controls.ts) ---

  pause(): void {
    this.dispatch({ type: 'pause' });
  }

  resume(): void {
    const idle = this.engine.stage === RoundStage.COMPLETE || this.engine.stage === RoundStage.IDLE;
    this.dispatch({ type: 'resume', idle });
  }

  stop(reason: ExitReason = 'stopped'): void {
    this.finish(reason);
  }

  /** Starts training now with the peers that are ready, below --min-peers. False if it cannot. */
  startNow(): boolean {
    if (this.run.started || this.state === Stage.DONE || this.readyPeers === 0) return false;
    this.dispatch({ type: 'start', ready: this.readyPeers });
    return true;
  }

  /** A new global batch from the next step on; a run of whole epochs re-plans its remaining steps. */
  setBatchSize(n: number): void {
    const s = this.sampler;
    s.batchSize = n;
    if (this.setup.config.steps !== undefined) return;
    const collecting = this.engine.stage === RoundStage.COLLECTING || this.engine.stage === RoundStage.STARVED;
    const inFlight = collecting && this.engine.current?.kind === 'train' ? 1 : 0;
    const leftThisEpoch = s.cursor >= s.trainSize ? 0 : Math.ceil((s.trainSize - s.cursor) / n);
    this.plannedSteps = this.step + inFlight + leftThisEpoch + Math.max(0, this.setup.config.epochs - s.epoch - 1) * s.stepsPerEpoch;
  }

  /** Every batch of `epoch` is applied: it is complete if every sample was used once; then its validation pass. */
  epochDone(epoch: number): void {
    const acc = this.epochAccounting(epoch);
    acc.complete = acc.samplesUsed === this.sampler.trainSize;
    this.evaluator.epochPass(epoch);
  }

  /** Runs the ledger's effects: tasks out (with weights when the peer's copy is stale), rounds finished; re-arms the one timer. */
  perform(effects: Effect[]): void {
    this.p2p.beforeSend(effects);
    for (const e of effects) {
      if (e.type === 'send') this.sendTask(this.local ? this.local.decorate(e) : e);
      else if (e.kind === 'train') (this.sync ?? this.local)?.roundComplete();
      else this.evaluator.roundComplete();
    }
    if (this.state !== Stage.DONE) this.io.wakeAt(this.ledger.nextDeadline());
  }

  /** A TASK out (taskSender.ts), with the weights when the peer's copy is not the current one. */
  sendTask(e: SendEffect): void {
    const p = this.peers.get(e.peerId);
    if (!p) return;
    this.trace.time('send', e.kind === 'train' ? e.roundId : -1, () => this.tasks.send(p, e));
    this.trace.emit({ type: 'task-sent', peerId: e.peerId, taskId: e.taskId, kind: e.kind, round: e.roundId, backup: e.backup });
  }

  evaluating(): void {
    this.dispatch({ type: 'evaluate' });
  }

  /** Called by the evaluator when an epoch's validation pass is recorded; at --target-accuracy no steps are left. */
  afterEpochEval(stopEarly: boolean, atTarget = false): void {
    if (atTarget) this.plannedSteps = this.step;
    if (stopEarly) this.evaluator.finalPasses('early-stopped');
    else this.boundary();
  }

  diverged(why: string): false {
    this.io.log(`training diverged: ${why}`);
    this.finish('diverged');
    return false;
  }

  finish(reason: ExitReason): void {
    this.dispatch({ type: 'finish', reason });
  }

  private finished(reason: ExitReason): void {
    this.io.wakeAt(null);
    const done = encodeDone({ reason, testAccuracy: this.evaluator.testAccuracy });
    // Interrupted with a checkpoint: the tabs keep retrying, and a resumed run takes them back.
    const restarting = reason === 'interrupted' && this.checkpointer !== null && this.checkpointer.lastStep >= 0;
    if (!restarting) for (const p of this.peers.values()) if (p.status !== 'gone') this.io.send(p.id, done);
    this.io.finished(reason);
  }
}
