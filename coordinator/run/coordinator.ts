import { batchNormLayout } from '../model/batchNormLayout';
import { AsyncPolicy } from '../round/asyncPolicy';
import { RoundEngine, RoundStage, type Effect } from '../round/engine';
import { WorkLedger, type SendEffect } from '../round/ledger';
import type { PolicyHost, StepInput, TrainingPolicy } from '../round/policy';
import { checkClaim, observe, samplesPerSec as samplesPerSecAt, speedModel } from '../round/speed';
import { SyncPolicy } from '../round/syncPolicy';
import { parseWeightsCodec } from '../../shared/compress';
import { createOptimizer } from '../../shared/optim';
import type { Optimizer } from '../../shared/optim/types';
import { encodeDone, type EvalResultFrame, type GradFrame, type HelloBody } from '../../shared/protocol';
import { Evaluator } from '../evaluation/evaluator';
import { allFinite } from './gradCheck';
import type { Io } from './io';
import { ParamStore } from './paramStore';
import { ResultPath } from './results';
import { Roster } from './roster';
import { EpochSampler } from '../round/sampler';
import { INITIAL_RUN_STATE, Stage, step, type RunEvent, type RunState } from './stage';
import { TaskSender } from '../broadcast/taskSender';
import { StepTimeline } from '../dashboard/timeline';
import type { ControlEntry, EpochAccounting, ExitReason, HistoryEntry, PeerRecord, RunSetup, SavePoint } from './types';
import { applyUpdate, optimizerConfig } from './update';
import { WeightsBroadcast } from '../broadcast/weightsBroadcast';

export type { Io } from './io';
export { optimizerConfig, scheduleConfig } from './update';

/**
 * The training run, without sockets: membership, the mode's policy over the
 * work ledger, evaluation passes and the record of it all. The run's stage
 * changes only through `dispatch` (stage.ts); this class performs the
 * effects. The server turns network and timer events into calls here, and
 * performs what comes out through `Io`.
 */
export class TrainingCoordinator implements PolicyHost {
  readonly roster = new Roster();
  readonly store: ParamStore;
  /** The one ledger of work (training and evaluation, every mode). */
  readonly ledger = new WorkLedger();
  /** Barrier rounds on the ledger: evaluation passes, and sync training steps. */
  readonly engine = new RoundEngine(this.ledger);
  readonly policy: TrainingPolicy;
  readonly sampler: EpochSampler;
  readonly evaluator: Evaluator;
  readonly history: HistoryEntry[] = [];
  readonly accounting: EpochAccounting[] = [];
  optimizer: Optimizer;
  lr: number;
  step = 0;
  startedAt: number;
  /** Periodic and on-signal checkpoints (checkpoint.ts); null when --checkpoint-dir is not given. */
  checkpointer: SavePoint | null = null;
  /** --mode async: the bounded-staleness policy (its report and counters); null in sync mode. */
  readonly async: AsyncPolicy | null;
  /** Dashboard: recent shards per peer and each step's time breakdown (timeline.ts). */
  readonly timeline = new StepTimeline();
  /** Dashboard control actions applied so far, for the report (controls.ts). */
  readonly controls: ControlEntry[] = [];
  /** The weights on their way to the peers (--weights-codec) and what each peer holds. */
  readonly broadcast: WeightsBroadcast;
  private run: RunState = INITIAL_RUN_STATE;
  /** Set when the global batch changes mid-run (setBatchSize). */
  private plannedSteps: number | null = null;
  private readonly tasks: TaskSender;
  private readonly results: ResultPath;
  private readonly sync: SyncPolicy | null;

  constructor(
    readonly setup: RunSetup,
    private readonly io: Io,
  ) {
    const c = setup.config;
    this.store = new ParamStore(setup.model.initial, setup.model.trainableParams, batchNormLayout(setup.model));
    this.optimizer = createOptimizer(optimizerConfig(c), setup.model.trainableParams);
    // Continuing from an export with the same optimizer continues its moments and step count too.
    const saved = setup.model.optimizerState;
    if (saved && saved.name === c.optimizer) this.optimizer.load(saved);
    this.lr = setup.lr;
    this.sampler = new EpochSampler(c.seed, setup.dataset.meta.splits.train, c.batchSize);
    this.evaluator = new Evaluator(this, setup);
    const specs = [...setup.model.specs.filter((w) => w.trainable), ...setup.model.specs.filter((w) => !w.trainable)];
    this.broadcast = new WeightsBroadcast(parseWeightsCodec(c.weightsCodec), this.store, specs.map((w) => w.shape.reduce((a, b) => a * b, 1)));
    this.tasks = new TaskSender(io, c, this.broadcast, this.timeline);
    this.results = new ResultPath(this);
    this.ledger.onCount = (counter, unit) => {
      if (unit && unit.kind !== 'train') return;
      this.epochAccounting(unit ? unit.epoch : this.sampler.epoch)[counter]++;
    };
    this.async = c.mode === 'async' ? new AsyncPolicy(this, c.maxStaleness) : null;
    this.sync = this.async ? null : new SyncPolicy(this, this.engine);
    this.policy = this.async ?? this.sync!;
    this.startedAt = io.now();
  }

  // --- the read-only view (status feed, report) ---

  get state(): Stage {
    return this.run.stage;
  }

  get exitReason(): ExitReason | null {
    return this.run.exitReason;
  }

  get trainStartedAt(): number | null {
    return this.run.trainStartedAt;
  }

  get trainMsBefore(): number {
    return this.run.trainMsBefore;
  }

  get peers(): Map<string, PeerRecord> {
    return this.roster.peers;
  }

  get nextPeer(): number {
    return this.roster.nextPeer;
  }

  set nextPeer(n: number) {
    this.roster.nextPeer = n;
  }

  get totalSteps(): number {
    return this.plannedSteps ?? this.setup.config.steps ?? this.setup.config.epochs * this.sampler.stepsPerEpoch;
  }

  get readyPeers(): number {
    return this.roster.readyCount;
  }

  /** Whether the peer has a shard out (the ledger is the one place that knows). */
  busy(peerId: string): boolean {
    return this.ledger.busy(peerId);
  }

  now(): number {
    return this.io.now();
  }

  log(line: string): void {
    this.io.log(line);
  }

  // --- the stage: events in, effects performed here ---

  dispatch(e: RunEvent): void {
    const out = step(this.run, e, this.io.now());
    this.run = out.state;
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
      Object.assign(known, { status: 'warming-up', backend: hello.backend, lastSeen: now, sentWeights: -1 });
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
    if (p.quarantine) return; // it stays out of the ledger: no work for it in this run
    const now = this.io.now();
    this.ledger.addPeer(peerId, p.cost);
    const wasStarted = this.run.started;
    this.dispatch({ type: 'peer-ready', ready: this.readyPeers, minPeers: this.setup.config.minPeers });
    if (wasStarted || !this.run.started) this.perform(this.engine.assign(now));
    this.async?.freed(now);
  }

  leave(peerId: string, reconnecting: boolean): void {
    this.broadcast.gone(peerId);
    const p = this.peers.get(peerId);
    if (!p || p.status === 'gone') return;
    p.status = reconnecting ? 'reconnecting' : 'gone';
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
    this.results.onGrad(peerId, g);
  }

  onEval(peerId: string, r: EvalResultFrame): void {
    this.results.onEval(peerId, r);
  }

  /** An accepted gradient's contribution to its peer's counters and cost model (every mode). */
  credit(peerId: string, g: GradFrame): void {
    const p = this.peers.get(peerId);
    if (!p) return;
    if (p.steps === 0) {
      // The first shard checks the speed claimed at warm-up.
      const c = checkClaim(p.cost, g.count, g.computeMs);
      if (c.refuted) this.io.log(`peer ${p.nickname} (${p.id}) claimed ${Math.round(p.speed)} samples/s at warm-up; its first shard measured ${Math.round(samplesPerSecAt(c.model))}: measured, not believed`);
      p.cost = c.model;
    } else {
      p.cost = observe(p.cost, g.count, g.computeMs);
    }
    p.samples += g.count;
    p.steps++;
    p.computeMs += g.computeMs;
    p.speed = samplesPerSecAt(p.cost);
    this.ledger.setSpeed(p.id, p.cost);
  }

  /** One line per epoch, for people watching the terminal. */
  onValidation(epoch: number, valLoss: number, valAccuracy: number | null): void {
    const last = this.history.at(-1);
    const acc = valAccuracy === null ? '' : ` val_acc ${valAccuracy.toFixed(4)}`;
    this.io.log(`epoch ${epoch + 1} step ${this.step}/${this.totalSteps} loss ${last ? last.loss.toFixed(4) : '-'} val_loss ${valLoss.toFixed(4)}${acc} samples/s ${this.samplesPerSec().toFixed(0)} peers ${this.readyPeers}`);
  }

  /** Training samples per second of training wall time so far. */
  samplesPerSec(): number {
    if (this.trainStartedAt === null) return 0;
    const secs = (this.io.now() - this.trainStartedAt) / 1000;
    const samples = this.history.reduce((a, h) => a + h.samples, 0);
    return secs > 0 ? samples / secs : 0;
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

  // --- the step (every mode; what the policies ask of the run) ---

  get version(): number {
    return this.store.version;
  }

  canTrain(): boolean {
    return this.state === Stage.TRAINING;
  }

  opened(epoch: number): void {
    this.epochAccounting(epoch).complete = false;
  }

  beginStep(): void {
    this.store.resetAccumulators();
  }

  accumulate(g: GradFrame, grad: Float32Array): void {
    this.store.add(grad, g.state, g.count, g.lossSum);
  }

  staleDropped(epoch: number): void {
    const acc = this.epochAccounting(epoch);
    acc.staleDropped = (acc.staleDropped ?? 0) + 1;
  }

  savePoint(): void {
    this.checkpointer?.atBoundary();
  }

  /**
   * Averages the step's accumulators and applies the update; the run is
   * declared diverged here only, from the aggregated gradient or the updated
   * weights. Counts the samples once and writes the history row and the
   * timeline's breakdown. False when the run diverged.
   */
  applyStep(s: StepInput): boolean {
    const store = this.store;
    const t0 = this.io.now();
    const loss = store.average();
    if (!allFinite(store.meanGrad)) return this.diverged('the averaged gradient has NaN or Infinity; lower the learning rate');
    const lr = applyUpdate(store, this.optimizer, this.setup, { lr: this.lr, step: this.step, stepsPerEpoch: this.sampler.stepsPerEpoch, totalSteps: this.totalSteps });
    if (!allFinite(store.weights)) return this.diverged('the updated weights have NaN or Infinity; lower the learning rate');
    this.epochAccounting(s.epoch).samplesUsed += store.count;
    this.step++;
    const now = this.io.now();
    this.history.push({
      step: this.step,
      epoch: s.epoch,
      loss,
      lr,
      peers: this.readyPeers,
      ms: t0 - s.startedAt,
      computeMs: s.computeMs,
      updateMs: now - t0,
      samples: store.count,
      t: (now - this.startedAt) / 1000,
      ...(s.staleness !== undefined ? { staleness: s.staleness } : {}),
    });
    this.timeline.stepDone(s.round, this.step, s.startedAt, t0, now, s.taskId);
    return true;
  }

  epochAccounting(epoch: number): EpochAccounting {
    let a = this.accounting.find((x) => x.epoch === epoch);
    if (!a) {
      a = { epoch, samplesUsed: 0, duplicatesDropped: 0, reassigned: 0, lateDropped: 0, complete: false };
      this.accounting.push(a);
    }
    return a;
  }

  /** Every batch of `epoch` is applied: it is complete if every sample was used once; then its validation pass. */
  epochDone(epoch: number): void {
    const acc = this.epochAccounting(epoch);
    acc.complete = acc.samplesUsed === this.sampler.trainSize;
    this.evaluator.epochPass(epoch);
  }

  /** Runs the ledger's effects: tasks out (with weights when the peer's copy is stale), rounds finished; re-arms the one timer. */
  perform(effects: Effect[]): void {
    for (const e of effects) {
      if (e.type === 'send') this.sendTask(e);
      else if (e.kind === 'train') this.sync?.roundComplete();
      else this.evaluator.roundComplete();
    }
    if (this.state !== Stage.DONE) this.io.wakeAt(this.ledger.nextDeadline());
  }

  /** A TASK out (taskSender.ts), with the weights when the peer's copy is not the current one. */
  sendTask(e: SendEffect): void {
    const p = this.peers.get(e.peerId);
    if (p) this.tasks.send(p, e);
  }

  evaluating(): void {
    this.dispatch({ type: 'evaluate' });
  }

  /** Called by the evaluator when an epoch's validation pass is recorded. */
  afterEpochEval(stopEarly: boolean): void {
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
