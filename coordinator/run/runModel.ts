import { createAggregator } from '../aggregate/create';
import { RoundEngine } from '../round/engine';
import { WorkLedger } from '../round/ledger';
import type { StepInput } from '../round/policy';
import { EpochSampler } from '../round/sampler';
import { StepTimeline } from '../dashboard/timeline';
import { batchNormLayout } from '../model/batchNormLayout';
import { createOptimizer } from '../../shared/optim';
import type { Optimizer } from '../../shared/optim/types';
import type { GradFrame } from '../../shared/protocol';
import type { Io } from './io';
import { ParamStore } from './paramStore';
import { Roster } from './roster';
import { INITIAL_RUN_STATE, Stage, type ResumePass, type RunState } from './stage';
import { applyStep, epochAccounting } from './stepApply';
import { RunTrace } from './trace';
import type { ControlEntry, EpochAccounting, ExitReason, HistoryEntry, PeerRecord, RunSetup, SavePoint } from './types';
import { optimizerConfig } from './update';
import { lossWords } from '../model/lossWords';

/**
 * What a run holds, and the rules of one step every mode shares: the
 * weights and optimizer, the one work ledger and its barrier rounds, the
 * roster of peers, the sampler, the record (history, accounting, timeline,
 * controls) and the read-only view the status feed and the report read.
 * coordinator.ts adds the wiring: events in, effects out.
 */
export abstract class RunModel {
  readonly roster = new Roster();
  readonly store: ParamStore;
  /** The one ledger of work (training and evaluation, every mode). */
  readonly ledger = new WorkLedger();
  /** Barrier rounds on the ledger: evaluation passes, and sync training steps. */
  readonly engine = new RoundEngine(this.ledger);
  readonly sampler: EpochSampler;
  readonly history: HistoryEntry[] = [];
  readonly accounting: EpochAccounting[] = [];
  optimizer: Optimizer;
  lr: number;
  step = 0;
  startedAt: number;
  /** Periodic and on-signal checkpoints (checkpoint.ts); null when --checkpoint-dir is not given. */
  checkpointer: SavePoint | null = null;
  /** Dashboard: recent shards per peer and each step's time breakdown (timeline.ts). */
  readonly timeline = new StepTimeline();
  /** Dashboard control actions applied so far, for the report (controls.ts). */
  readonly controls: ControlEntry[] = [];
  /** Named points (stage changes, tasks, results, steps, timings on the run's clock) tests and the bench subscribe to (trace.ts). */
  readonly trace: RunTrace;
  /** The stage and what goes with it; changed only by `dispatch` (stage.ts). */
  protected run: RunState = INITIAL_RUN_STATE;
  /** Set when the global batch changes mid-run (setBatchSize). */
  protected plannedSteps: number | null = null;

  constructor(
    readonly setup: RunSetup,
    protected readonly io: Io,
  ) {
    const c = setup.config;
    this.store = new ParamStore(setup.model.initial, setup.model.trainableParams, batchNormLayout(setup.model), createAggregator(setup.config.aggregate, setup.model.trainableParams, setup.config.mode));
    this.optimizer = createOptimizer(optimizerConfig(c), setup.model.trainableParams);
    // Continuing from an export with the same optimizer continues its moments and step count too.
    const saved = setup.model.optimizerState;
    if (saved && saved.name === c.optimizer) this.optimizer.load(saved);
    this.lr = c.mode === 'local' ? c.outerLr : setup.lr; // local mode: the run's optimizer is the outer one
    this.sampler = new EpochSampler(c.seed, setup.dataset.meta.splits.train, c.batchSize);
    this.ledger.onCount = (counter, unit) => {
      if (unit && unit.kind !== 'train') return;
      this.epochAccounting(unit ? unit.epoch : this.sampler.epoch)[counter]++;
    };
    this.startedAt = io.now();
    this.trace = new RunTrace(() => io.now());
  }

  /** The run cannot go on: logs why and finishes as diverged. */
  abstract diverged(why: string): false;

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

  /** The evaluation pass a restored checkpoint interrupted, until it is redone. */
  get resumePass(): ResumePass | null {
    return this.run.resumePass;
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

  /** One line per epoch, for people watching the terminal. */
  onValidation(epoch: number, valLoss: number, valAccuracy: number | null): void {
    const last = this.history.at(-1);
    const task = this.setup.dataset.meta.task;
    // A character model's accuracy is of the next character: not the headline (lossWords.ts).
    const acc = valAccuracy === null ? '' : task === 'sequence' ? ` val_next_char_acc ${valAccuracy.toFixed(4)}` : ` val_acc ${valAccuracy.toFixed(4)}`;
    this.io.log(`epoch ${epoch + 1} step ${this.step}/${this.totalSteps} ${lossWords(task, last ? last.loss : null)} ${lossWords(task, valLoss, 'val_loss')}${acc} samples/s ${this.samplesPerSec().toFixed(0)} peers ${this.readyPeers}`);
  }

  /** Training samples per second of training wall time so far. */
  samplesPerSec(): number {
    if (this.trainStartedAt === null) return 0;
    const secs = (this.io.now() - this.trainStartedAt) / 1000;
    const samples = this.history.reduce((a, h) => a + h.samples, 0);
    return secs > 0 ? samples / secs : 0;
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

  accumulate(peerId: string, g: GradFrame, grad: Float32Array): void {
    this.store.add(grad, g.state, g.count, g.lossSum, peerId);
  }

  staleDropped(epoch: number): void {
    const acc = this.epochAccounting(epoch);
    acc.staleDropped = (acc.staleDropped ?? 0) + 1;
  }

  savePoint(): void {
    this.checkpointer?.atBoundary();
  }

  /** One update from the step's accumulators, the same in every mode (stepApply.ts). False when the run diverged. */
  applyStep(s: StepInput): boolean {
    const diverged = applyStep(this, s);
    return diverged === null ? true : this.diverged(diverged);
  }

  epochAccounting(epoch: number): EpochAccounting {
    return epochAccounting(this.accounting, epoch);
  }

  /** An accepted gradient's contribution to its peer's counters and cost model (every mode). */
  credit(peerId: string, g: GradFrame): void {
    const p = this.roster.credit(peerId, g, (l) => this.io.log(l));
    if (p) this.ledger.setSpeed(p.id, p.cost);
  }

}
