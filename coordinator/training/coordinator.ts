import { createAggregator } from '../aggregate/create';
import { checkGradient } from './gradCheck';
import { batchNormLayout } from '../model/batchNormLayout';
import { observe, samplesPerSec as samplesPerSecAt, speedModel } from '../round/speed';
import type { Io } from './io';
import { newPeerRecord } from './peerRecord';
import { parseWeightsCodec } from '../../shared/compress';
import { isTabtrainError } from '../../shared/errors';
import { createOptimizer } from '../../shared/optim';
import type { Optimizer } from '../../shared/optim/types';
import { encodeDone, type EvalResultFrame, type GradFrame, type HelloBody } from '../../shared/protocol';
import { RoundEngine, RoundStage, type Effect } from '../round/engine';
import { AsyncTrainer } from './asyncTrainer';
import type { Checkpointer } from './checkpoint';
import { Evaluator } from './evaluator';
import type { ControlEntry } from './controls';
import { StepTimeline } from './timeline';
import { ParamStore } from './paramStore';
import { EpochSampler } from './sampler';
import { TaskSender, type SendEffect } from './taskSender';
import { applyUpdate, optimizerConfig } from './update';
import { WeightsBroadcast } from './weightsBroadcast';
import type { EpochAccounting, ExitReason, HistoryEntry, PeerRecord, RunSetup } from './types';

export type { Io } from './io';
export { optimizerConfig, scheduleConfig } from './update';

export type RunState = 'waiting' | 'training' | 'paused' | 'evaluating' | 'done';

/**
 * The training run, without sockets: membership, the synchronous step loop,
 * evaluation passes and the record of it all. The server turns network and
 * timer events into calls here, and performs what comes out through `Io`.
 */
export class TrainingCoordinator {
  readonly peers = new Map<string, PeerRecord>();
  readonly store: ParamStore;
  readonly engine = new RoundEngine();
  readonly sampler: EpochSampler;
  readonly evaluator: Evaluator;
  readonly history: HistoryEntry[] = [];
  readonly accounting: EpochAccounting[] = [];
  optimizer: Optimizer;
  lr: number;
  state: RunState = 'waiting';
  step = 0;
  exitReason: ExitReason | null = null;
  startedAt: number;
  trainStartedAt: number | null = null;
  /** Training time before a resume, ms (checkpoint.ts). */
  trainMsBefore = 0;
  /** Periodic and on-signal checkpoints (checkpoint.ts); null when --checkpoint-dir is not given. */
  checkpointer: Checkpointer | null = null;
  /** What a resumed run does first instead of the next step (a pass the checkpoint interrupted). */
  resumeWith: (() => void) | null = null;
  /** --mode async: bounded-staleness training (asyncTrainer.ts); null in sync mode. */
  readonly async: AsyncTrainer | null;
  private paused = false;
  private started = false;
  private round: { lastOfEpoch: boolean; epoch: number; startedAt: number; maxComputeMs: number; failures: number } | null = null;
  nextPeer = 1;
  /** Dashboard: recent shards per peer and each step's time breakdown (timeline.ts). */
  readonly timeline = new StepTimeline();
  /** Dashboard control actions applied so far, for the report (controls.ts). */
  readonly controls: ControlEntry[] = [];
  /** Set when the global batch changes mid-run (setBatchSize). */
  private plannedSteps: number | null = null;
  private gradScratch: Float32Array | null = null;
  /** The weights on their way to the peers (--weights-codec) and what each peer holds. */
  readonly broadcast: WeightsBroadcast;
  private readonly tasks: TaskSender;

  constructor(
    readonly setup: RunSetup,
    private readonly io: Io,
  ) {
    const c = setup.config;
    this.store = new ParamStore(setup.model.initial, setup.model.trainableParams, batchNormLayout(setup.model), createAggregator(setup.config.aggregate, setup.model.trainableParams));
    this.optimizer = createOptimizer(optimizerConfig(c), setup.model.trainableParams);
    // Continuing from an export with the same optimizer continues its moments and step count too.
    const saved = setup.model.optimizerState;
    if (saved && saved.name === c.optimizer) this.optimizer.load(saved);
    this.lr = setup.lr;
    this.sampler = new EpochSampler(c.seed, setup.dataset.meta.splits.train, c.batchSize);
    this.evaluator = new Evaluator(this, setup);
    this.async = c.mode === 'async' ? new AsyncTrainer(this, c.maxStaleness) : null;
    const specs = [...setup.model.specs.filter((w) => w.trainable), ...setup.model.specs.filter((w) => !w.trainable)];
    this.broadcast = new WeightsBroadcast(parseWeightsCodec(c.weightsCodec), this.store, specs.map((w) => w.shape.reduce((a, b) => a * b, 1)));
    this.tasks = new TaskSender(io, c, this.broadcast, this.timeline);
    this.startedAt = io.now();
  }

  get totalSteps(): number {
    return this.plannedSteps ?? this.setup.config.steps ?? this.setup.config.epochs * this.sampler.stepsPerEpoch;
  }

  get readyPeers(): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.status === 'ready' || p.status === 'computing') n++;
    return n;
  }

  // --- membership ---

  /** A HELLO passed the token and version checks: a new peer, or a known one coming back. */
  join(hello: HelloBody): PeerRecord {
    const now = this.io.now();
    const known = hello.reconnectToken ? [...this.peers.values()].find((p) => p.reconnectToken === hello.reconnectToken) : undefined;
    if (known) {
      if (known.status !== 'gone' && known.status !== 'reconnecting') this.engine.peerGone(known.id, now);
      Object.assign(known, { status: 'warming-up', backend: hello.backend, lastSeen: now, sentWeights: -1 });
      this.async?.peerGone(known.id);
      known.connections++;
      return known;
    }
    const id = `p${this.nextPeer++}`;
    const p = newPeerRecord(id, hello, now);
    this.peers.set(id, p);
    return p;
  }

  ready(peerId: string, samplesPerSec: number, overheadMs = 0): void {
    const p = this.peers.get(peerId);
    if (!p) return;
    p.status = 'ready';
    p.cost = speedModel(samplesPerSec, overheadMs);
    p.speed = samplesPerSecAt(p.cost);
    if (!this.started && this.readyPeers >= this.setup.config.minPeers) this.begin();
    else this.perform(this.engine.peerReady(peerId, p.cost, this.io.now()));
    this.async?.pump();
  }

  leave(peerId: string, reconnecting: boolean): void {
    this.broadcast.gone(peerId);
    const p = this.peers.get(peerId);
    if (!p || p.status === 'gone') return;
    p.status = reconnecting ? 'reconnecting' : 'gone';
    this.perform(this.engine.peerGone(peerId, this.io.now()));
    this.async?.peerGone(peerId);
    const starved = this.engine.stage === RoundStage.STARVED || (this.async !== null && this.state === 'training' && this.readyPeers === 0);
    if (starved && this.state !== 'done') this.io.log('no peers: training is paused until one joins');
  }

  // --- results ---

  /** A GRAD frame. Throws a TabtrainError (the server closes that client) when it must not touch the weights. */
  onGrad(peerId: string, g: GradFrame): void {
    const now = this.io.now();
    const p = this.peers.get(peerId);
    if (p) p.lastSeen = now;
    this.broadcast.answered(peerId, g.taskId);
    if (this.async?.owns(g.taskId)) return this.async.onGrad(peerId, g);
    const size = this.engine.taskSize(g.taskId);
    if (size === null || this.engine.current?.kind !== 'train' || g.step !== this.engine.current.id) {
      const late = this.engine.result(peerId, g.taskId, now);
      this.timeline.returned(peerId, g.taskId, now, g.computeMs, late.verdict);
      this.perform(late.effects);
      return;
    }
    let grad: Float32Array;
    try {
      grad = checkGradient(g, size, this.store, () => (this.gradScratch ??= new Float32Array(this.store.trainableSize)));
    } catch (e) {
      this.perform(this.engine.failed(peerId, g.taskId, now));
      if (isTabtrainError(e) && e.code === 'GRAD_NOT_FINITE' && this.round && ++this.round.failures >= 3) this.finishDiverged();
      throw e;
    }
    const { verdict, effects } = this.engine.result(peerId, g.taskId, now);
    this.timeline.returned(peerId, g.taskId, now, g.computeMs, verdict);
    if (verdict === 'accepted') {
      this.store.add(grad, g.state, g.count, g.lossSum, peerId);
      if (p) this.credit(p, g);
      if (this.round) this.round.maxComputeMs = Math.max(this.round.maxComputeMs, g.computeMs);
    }
    this.perform(effects);
  }

  /** An accepted gradient's contribution to its peer's counters and cost model (sync and async alike). */
  credit(p: PeerRecord, g: GradFrame): void {
    p.samples += g.count;
    p.steps++;
    p.computeMs += g.computeMs;
    p.cost = observe(p.cost, g.count, g.computeMs);
    p.speed = samplesPerSecAt(p.cost);
    this.engine.updateSpeed(p.id, p.cost);
  }

  onEval(peerId: string, r: EvalResultFrame): void {
    const now = this.io.now();
    this.broadcast.answered(peerId, r.taskId);
    const size = this.engine.taskSize(r.taskId);
    if (size === null || this.engine.current?.kind !== 'eval' || r.evalId !== this.engine.current.id) {
      const late = this.engine.result(peerId, r.taskId, now);
      this.timeline.returned(peerId, r.taskId, now, r.computeMs, late.verdict);
      this.perform(late.effects);
      return;
    }
    try {
      this.evaluator.check(r, size);
    } catch (e) {
      this.perform(this.engine.failed(peerId, r.taskId, now));
      throw e;
    }
    const { verdict, effects } = this.engine.result(peerId, r.taskId, now);
    this.timeline.returned(peerId, r.taskId, now, r.computeMs, verdict);
    if (verdict === 'accepted') {
      this.evaluator.add(r);
      const p = this.peers.get(peerId);
      if (p) p.evalSamples += r.count;
    }
    this.perform(effects);
  }

  now(): number {
    return this.io.now();
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

  tick(): void {
    this.async?.tick(this.io.now());
    this.perform(this.engine.tick(this.io.now()));
  }

  // --- control ---

  pause(): void {
    this.paused = true;
    if (this.state === 'training') this.state = 'paused';
  }

  resume(): void {
    this.paused = false;
    if (this.state === 'paused') {
      this.state = 'training';
      if (this.engine.stage === RoundStage.COMPLETE || this.engine.stage === RoundStage.IDLE) this.nextStep();
    }
  }

  stop(reason: ExitReason = 'stopped'): void {
    if (this.state === 'done') return;
    this.finish(reason);
  }

  // --- live controls (the dashboard, via controls.ts) ---

  /** Starts training now with the peers that are ready, below --min-peers. False if it cannot. */
  startNow(): boolean {
    if (this.started || this.state === 'done' || this.readyPeers === 0) return false;
    this.begin();
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

  // --- the loop ---

  private begin(): void {
    this.started = true;
    this.trainStartedAt = this.io.now() - this.trainMsBefore;
    this.state = this.paused ? 'paused' : 'training';
    for (const p of this.peers.values()) if (p.status === 'ready') this.engine.peerReady(p.id, p.cost, this.io.now());
    if (!this.paused) this.nextStep();
  }

  nextStep(): void {
    if (this.state === 'done') return;
    if (this.paused) {
      this.state = 'paused';
      return;
    }
    this.checkpointer?.atBoundary();
    if (this.resumeWith) {
      const first = this.resumeWith;
      this.resumeWith = null;
      return first();
    }
    if (this.step >= this.totalSteps) {
      this.evaluator.finalPasses();
      return;
    }
    this.state = 'training';
    if (this.async) return this.async.pump();
    const batch = this.sampler.next();
    const acc = this.epochAccounting(batch.epoch);
    acc.complete = false;
    this.store.resetAccumulators();
    this.round = { lastOfEpoch: batch.lastOfEpoch, epoch: batch.epoch, startedAt: this.io.now(), maxComputeMs: 0, failures: 0 };
    this.perform(this.engine.startRound({ kind: 'train', id: this.step, version: this.store.version, items: batch.indices }, this.io.now()));
  }

  private completeStep(): void {
    const r = this.round!;
    const t0 = this.io.now();
    const loss = this.store.average();
    const lr = applyUpdate(this);
    const acc = this.epochAccounting(r.epoch);
    acc.samplesUsed += this.store.count;
    const atEpochStart = this.epochCounters.get(r.epoch)!;
    for (const k of ['duplicatesDropped', 'reassigned', 'lateDropped'] as const) acc[k] = this.engine.counters[k] - atEpochStart[k];
    this.step++;
    const now = this.io.now();
    this.history.push({
      step: this.step,
      epoch: r.epoch,
      loss,
      lr,
      peers: this.readyPeers,
      ms: t0 - r.startedAt,
      computeMs: r.maxComputeMs,
      updateMs: now - t0,
      samples: this.store.count,
      t: (now - this.startedAt) / 1000,
    });
    this.timeline.stepDone(this.step - 1, this.step, r.startedAt, t0, now);
    if (r.lastOfEpoch) {
      acc.complete = acc.samplesUsed === this.sampler.trainSize;
      this.evaluator.epochPass(r.epoch);
    } else {
      this.nextStep();
    }
  }

  readonly epochCounters = new Map<number, { duplicatesDropped: number; reassigned: number; lateDropped: number }>();

  epochAccounting(epoch: number): EpochAccounting {
    let a = this.accounting.find((x) => x.epoch === epoch);
    if (!a) {
      a = { epoch, samplesUsed: 0, duplicatesDropped: 0, reassigned: 0, lateDropped: 0, complete: false };
      this.accounting.push(a);
      this.epochCounters.set(epoch, { ...this.engine.counters });
    }
    return a;
  }

  /** Runs the engine's effects: tasks out (with weights when the peer's copy is stale), rounds finished. */
  perform(effects: Effect[]): void {
    for (const e of effects) {
      if (e.type === 'send') this.sendTask(e);
      else if (e.kind === 'train') this.completeStep();
      else this.evaluator.roundComplete();
    }
    const at = this.engine.nextDeadline(this.io.now());
    const asyncAt = this.async?.nextDeadline() ?? null;
    this.io.wakeAt(at === null ? asyncAt : asyncAt === null ? at : Math.min(at, asyncAt));
  }

  /** A TASK out (taskSender.ts), with the weights when the peer's copy is not the current one. */
  sendTask(e: SendEffect): void {
    const p = this.peers.get(e.peerId);
    if (p) this.tasks.send(p, e);
  }

  /** Called by the evaluator when an epoch's validation pass is recorded. */
  afterEpochEval(stopEarly: boolean): void {
    if (stopEarly) this.evaluator.finalPasses('early-stopped');
    else this.nextStep();
  }

  finishDiverged(): void {
    this.io.log('training diverged: gradients are NaN or Infinity on several peers; lower the learning rate');
    queueMicrotask(() => this.finish('diverged'));
  }

  finish(reason: ExitReason): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.exitReason = reason;
    this.io.wakeAt(null);
    const done = encodeDone({ reason, testAccuracy: this.evaluator.testAccuracy });
    // Interrupted with a checkpoint: the tabs keep retrying, and a resumed run takes them back.
    const restarting = reason === 'interrupted' && this.checkpointer !== null && this.checkpointer.lastStep >= 0;
    if (!restarting) for (const p of this.peers.values()) if (p.status !== 'gone') this.io.send(p.id, done);
    this.io.finished(reason);
  }
}
