import { fail } from '../../shared/errors';
import { splitRange, type SplitName } from '../../shared/data/dataset';
import { targetSumOfSquares } from '../../shared/data/targets';
import type { EvalResultFrame } from '../../shared/protocol';
import { addSums, classificationMetrics, emptySums, regressionMetrics, sequenceMetrics, type EvalSums } from './metrics';
import type { Effect, RoundEngine } from '../round/engine';
import type { ParamStore } from '../run/paramStore';
import type { EvalEntry, ExitReason, HistoryEntry, RunSetup } from '../run/types';

/** What the evaluator needs of the run (the coordinator provides it). */
export interface EvalHost {
  readonly store: ParamStore;
  readonly engine: RoundEngine;
  readonly step: number;
  readonly history: readonly HistoryEntry[];
  readonly sampler: { readonly epoch: number };
  readonly state: string;
  now(): number;
  /** The run's stage becomes EVALUATING. */
  evaluating(): void;
  perform(effects: Effect[]): void;
  onValidation(epoch: number, valLoss: number, valAccuracy: number | null): void;
  /** `atTarget`: the pass reached --target-accuracy, so the run ends as after its last epoch. */
  afterEpochEval(stopEarly: boolean, atTarget?: boolean): void;
  finish(reason: ExitReason): void;
}

/**
 * Evaluation is work like training: the validation or test split is cut
 * into shards that peers evaluate, and their sums are added here. The
 * coordinator's event loop never runs a forward pass.
 */
export interface EvaluatorState {
  evals: EvalEntry[];
  misclassified: { index: number; predicted: number; truth: number }[];
  testAccuracy: number | null;
  final: Evaluator['final'];
  bestEpoch: number | null;
  bestValLoss: number | null;
  nextEvalId: number;
  lastEvalStep: number;
  /** The pass under way when the checkpoint was taken: a resumed run starts it again. */
  pass: { epoch: number; then: 'epoch' | 'final-val' | 'final-test'; reason: ExitReason } | null;
}

export class Evaluator {
  readonly evals: EvalEntry[] = [];
  /** Misclassified test samples (index, predicted), for the dashboard's grid. */
  readonly misclassified: { index: number; predicted: number; truth: number }[] = [];
  testAccuracy: number | null = null;
  final: { trainLoss: number | null; valLoss: number | null; valAccuracy: number | null; testLoss: number | null; testAccuracy: number | null } = {
    trainLoss: null,
    valLoss: null,
    valAccuracy: null,
    testLoss: null,
    testAccuracy: null,
  };
  bestEpoch: number | null = null;
  /** Why training stopped early, in words, for the report and the console. */
  stopReason: string | null = null;
  /** --target-accuracy: the validation pass after an epoch that reached it (the run then ended there), or null. */
  targetReached: { step: number; epoch: number; valAccuracy: number } | null = null;
  bestValLoss = Infinity;
  /** A copy of the weights at the best validation loss (early stopping restores them). */
  bestWeights: Float32Array | null = null;
  private sums: EvalSums;
  private pass: { split: SplitName; epoch: number; then: 'epoch' | 'final-val' | 'final-test' } | null = null;
  private nextEvalId = 1;
  private finalReason: ExitReason = 'completed';
  private lastEvalStep = -1;

  constructor(
    private readonly run: EvalHost,
    private readonly setup: RunSetup,
  ) {
    this.sums = this.empty();
  }

  private empty(): EvalSums {
    const m = this.setup.dataset.meta;
    return emptySums(m.task === 'classification' ? m.numClasses : 0, m.task === 'regression' ? m.numClasses : 1);
  }

  /** What a checkpoint keeps of the evaluations: the record, the best so far, the pass under way. */
  snapshot(): { state: EvaluatorState; bestWeights: Float32Array | null } {
    const state: EvaluatorState = {
      evals: this.evals,
      misclassified: this.misclassified,
      testAccuracy: this.testAccuracy,
      final: this.final,
      bestEpoch: this.bestEpoch,
      bestValLoss: Number.isFinite(this.bestValLoss) ? this.bestValLoss : null,
      nextEvalId: this.nextEvalId,
      lastEvalStep: this.lastEvalStep,
      pass: this.run.state === 'evaluating' && this.pass ? { epoch: this.pass.epoch, then: this.pass.then, reason: this.finalReason } : null,
    };
    return { state, bestWeights: this.bestWeights };
  }

  restore(s: EvaluatorState, bestWeights: Float32Array | null): void {
    this.evals.splice(0, this.evals.length, ...s.evals);
    this.misclassified.splice(0, this.misclassified.length, ...s.misclassified);
    this.testAccuracy = s.testAccuracy;
    this.final = { ...s.final };
    this.bestEpoch = s.bestEpoch;
    this.bestValLoss = s.bestValLoss ?? Infinity;
    this.bestWeights = bestWeights;
    this.nextEvalId = s.nextEvalId;
    this.lastEvalStep = s.lastEvalStep;
  }

  check(r: EvalResultFrame, size: number): void {
    const m = this.setup.dataset.meta;
    const classes = m.task === 'classification' ? m.numClasses : 0;
    if (r.count !== size) throw fail('GRAD_WRONG_LENGTH', `evaluation covers ${r.count} samples, task ${r.taskId} has ${size}`, 1008);
    if (r.classes !== classes) throw fail('GRAD_WRONG_LENGTH', `evaluation has ${r.classes} classes, the dataset has ${classes}`, 1008);
    let cells = 0;
    for (const c of r.confusion) cells += c;
    if (classes > 0 && cells !== r.count) throw fail('GRAD_WRONG_LENGTH', `confusion matrix counts ${cells} samples, the task has ${r.count}`, 1008);
    if (![r.lossSum, r.absErrSum, r.sqErrSum, r.apeSum].every(Number.isFinite)) throw fail('GRAD_NOT_FINITE', 'evaluation sums are NaN or Infinity', 1007);
  }

  add(r: EvalResultFrame): void {
    addSums(this.sums, r);
    if (this.pass?.split === 'test') {
      for (let i = 0; i + 1 < r.misclassified.length && this.misclassified.length < 64; i += 2) {
        const index = r.misclassified[i]!;
        this.misclassified.push({ index, predicted: r.misclassified[i + 1]!, truth: this.setup.dataset.labels[index]! });
      }
    }
  }

  epochPass(epoch: number): void {
    this.start('val', epoch, 'epoch');
  }

  /** After the last step (or an early stop): validation unless just done, then test, then finish. */
  finalPasses(reason: ExitReason = 'completed'): void {
    this.finalReason = reason;
    if (reason === 'early-stopped' && this.bestWeights) {
      this.run.store.weights.set(this.bestWeights);
      this.run.store.version++;
    }
    const epoch = this.run.sampler.epoch;
    if (this.lastEvalStep === this.run.step && reason !== 'early-stopped') this.start('test', epoch, 'final-test');
    else this.start('val', epoch, 'final-val');
  }

  private start(split: SplitName, epoch: number, then: 'epoch' | 'final-val' | 'final-test'): void {
    const range = splitRange(this.setup.dataset.meta, split);
    const items = new Uint32Array(range.end - range.start).map((_, i) => range.start + i);
    this.sums = this.empty();
    this.pass = { split, epoch, then };
    this.run.evaluating();
    this.run.perform(this.run.engine.startRound({ kind: 'eval', id: this.nextEvalId++, version: this.run.store.version, items }, this.run.now()));
  }

  roundComplete(): void {
    const pass = this.pass!;
    const m = this.setup.dataset.meta;
    const metrics =
      m.task === 'classification' ? classificationMetrics(this.sums) : m.task === 'sequence' ? sequenceMetrics(this.sums) : regressionMetrics(this.sums, targetSumOfSquares(this.setup.dataset, pass.split));
    const accuracy = 'accuracy' in metrics ? metrics.accuracy : null;
    const lastTrain = this.run.history.at(-1);
    if (pass.split === 'val') {
      this.lastEvalStep = this.run.step;
      this.evals.push({ epoch: pass.epoch, step: this.run.step, split: 'val', pass: pass.then === 'epoch' ? 'epoch' : 'final', valLoss: metrics.loss, valAccuracy: accuracy, metrics });
      this.final.valLoss = metrics.loss;
      this.final.valAccuracy = accuracy;
      this.final.trainLoss = lastTrain?.loss ?? null;
      // Only the passes after an epoch compete: the final pass re-measures the restored best weights
      // (the same loss up to summation order) and must not move the best epoch.
      const improved = pass.then === 'epoch' && metrics.loss < this.bestValLoss;
      if (improved) {
        this.bestValLoss = metrics.loss;
        this.bestEpoch = pass.epoch;
        this.bestWeights = Float32Array.from(this.run.store.weights);
      }
      this.run.onValidation(pass.epoch, metrics.loss, accuracy);
      if (pass.then === 'epoch') {
        const patience = this.setup.config.patience;
        const stale = this.bestEpoch === null ? 0 : pass.epoch - this.bestEpoch;
        const stop = patience > 0 && stale >= patience;
        if (stop) {
          this.stopReason =
            `validation loss did not improve for ${stale} epochs (patience ${patience}); ` +
            `best ${this.bestValLoss.toFixed(4)} at epoch ${this.bestEpoch! + 1}, whose weights were restored`;
        }
        const target = this.setup.config.targetAccuracy;
        const atTarget = !stop && target !== undefined && accuracy !== null && accuracy >= target;
        if (atTarget) {
          this.targetReached = { step: this.run.step, epoch: pass.epoch, valAccuracy: accuracy };
          this.stopReason = `validation accuracy ${accuracy.toFixed(4)} reached the target ${target} at step ${this.run.step}, epoch ${pass.epoch + 1}`;
        }
        this.run.afterEpochEval(stop, atTarget);
      } else {
        this.start('test', pass.epoch, 'final-test');
      }
      return;
    }
    this.evals.push({ epoch: pass.epoch, step: this.run.step, split: 'test', pass: 'final', valLoss: metrics.loss, valAccuracy: accuracy, metrics });
    this.final.testLoss = metrics.loss;
    this.final.testAccuracy = accuracy;
    this.testAccuracy = accuracy;
    this.run.finish(this.finalReason);
  }
}
