import type { StepInput } from '../round/policy';
import type { StepTimeline } from '../dashboard/timeline';
import type { Optimizer } from '../../shared/optim/types';
import { allFinite } from './gradCheck';
import type { ParamStore } from './paramStore';
import type { RunTrace } from './trace';
import type { EpochAccounting, HistoryEntry, RunSetup } from './types';
import { applyUpdate } from './update';

/**
 * One update, the rule every mode shares: average the step's accumulators;
 * declare the run diverged only from the aggregated update (a non-finite
 * averaged gradient or updated weights), never from one peer's result; apply
 * the update; count the samples once in their epoch's accounting; write the
 * history row and the timeline's breakdown of the step.
 */
export interface StepHost {
  readonly store: ParamStore;
  readonly optimizer: Optimizer;
  readonly setup: RunSetup;
  readonly lr: number;
  step: number;
  readonly sampler: { readonly stepsPerEpoch: number };
  readonly totalSteps: number;
  readonly readyPeers: number;
  readonly startedAt: number;
  readonly history: HistoryEntry[];
  readonly accounting: EpochAccounting[];
  readonly timeline: StepTimeline;
  readonly trace: RunTrace;
  now(): number;
}

/** Applies one step; returns why the run diverged, or null. */
export function applyStep(run: StepHost, s: StepInput): string | null {
  const store = run.store;
  const t0 = run.now();
  const loss = run.trace.time('average', run.step, () => store.average());
  if (!allFinite(store.meanGrad)) return 'the averaged gradient has NaN or Infinity; lower the learning rate';
  const at = { lr: run.lr, step: run.step, stepsPerEpoch: run.sampler.stepsPerEpoch, totalSteps: run.totalSteps };
  const lr = run.trace.time('optimizer', run.step, () => applyUpdate(store, run.optimizer, run.setup, at));
  if (!allFinite(store.weights)) return 'the updated weights have NaN or Infinity; lower the learning rate';
  epochAccounting(run.accounting, s.epoch).samplesUsed += store.count;
  run.step += s.batches ?? 1;
  const now = run.now();
  run.history.push({
    step: run.step,
    epoch: s.epoch,
    loss,
    lr,
    peers: run.readyPeers,
    ms: t0 - s.startedAt,
    computeMs: s.computeMs,
    updateMs: now - t0,
    samples: store.count,
    t: (now - run.startedAt) / 1000,
    ...(s.staleness !== undefined ? { staleness: s.staleness } : {}),
  });
  run.timeline.stepDone(s.round, run.step, s.startedAt, t0, now, s.taskId);
  run.trace.emit({ type: 'step-applied', step: run.step, epoch: s.epoch, samples: store.count });
  return null;
}

/** The accounting of `epoch`, created on first use. */
export function epochAccounting(list: EpochAccounting[], epoch: number): EpochAccounting {
  let a = list.find((x) => x.epoch === epoch);
  if (!a) {
    a = { epoch, samplesUsed: 0, duplicatesDropped: 0, reassigned: 0, lateDropped: 0, complete: false };
    list.push(a);
  }
  return a;
}
