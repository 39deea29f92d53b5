import { createOptimizer } from '../../shared/optim';
import type { OptimizerState } from '../../shared/optim/types';
import type { AsyncSnapshot } from '../round/asyncPolicy';
import type { EngineCounters } from '../round/engine';
import type { SamplerState } from '../round/sampler';
import type { SpeedModel } from '../round/speed';
import type { EvaluatorState } from '../evaluation/evaluator';
import type { TrainingCoordinator } from './coordinator';
import type { ResumePass } from './stage';
import { optimizerConfig, withOptimizer } from './update';
import type { EpochAccounting, HistoryEntry, PeerKind } from './types';

/**
 * Everything a run needs to continue, as one value: produced by
 * `takeSnapshot` and applied by `applySnapshot`, nothing else reads or writes
 * the run for a checkpoint (checkpoint/checkpoint.ts only turns the value
 * into a file and back). Weights, optimizer state (slots and step count),
 * step, weights version, the sampler's epoch and cursor in its seeded order,
 * the task-id cursor (task seeds derive from it), history, evaluations,
 * accounting, the pass under way, and every peer's counters keyed by its
 * reconnect token, so a tab that reconnects after a restart continues as
 * itself.
 *
 * Taken in the middle of a step (a signal), it holds the position at the
 * start of that step and none of the step's accepted shards: the step is
 * redone after a resume. Weights only change at step boundaries, so they are
 * always consistent with that position. Applying a snapshot to a fresh run
 * and taking one again gives the same value (tests/checkpoint/snapshot.test.ts).
 */
export interface SavedPeer {
  id: string;
  reconnectToken: string;
  nickname: string;
  kind: PeerKind;
  backend: string;
  backendNote: string;
  renderer: string;
  samples: number;
  steps: number;
  evalSamples: number;
  computeMs: number;
  connections: number;
  speed: number;
  cost: SpeedModel;
}

export interface RunSnapshot {
  /** Peers that kept the dataset and model from this run id skip the download. */
  runId: string;
  weights: Float32Array;
  version: number;
  optimizer: OptimizerState;
  lr: number;
  step: number;
  sampler: SamplerState;
  /** The global batch in use (the dashboard may have changed it from the configured one). */
  batchSize: number;
  nextTaskId: number;
  nextPeer: number;
  /** Training wall time and run wall time so far, ms (so rates and curves continue). */
  trainMs: number;
  runMs: number;
  history: HistoryEntry[];
  accounting: EpochAccounting[];
  engineCounters: EngineCounters;
  /** The evaluator's record (evaluations, best epoch...); the pass under way is `resumePass`. */
  evaluator: Omit<EvaluatorState, 'pass'>;
  bestWeights: Float32Array | null;
  /** The evaluation pass under way (or restored and not redone yet): a resumed run redoes it first. */
  resumePass: ResumePass | null;
  peers: SavedPeer[];
  /** --mode async: the policy's counters and the batches carved but not applied (computed again after a resume). */
  async: { state: AsyncSnapshot; pending: Uint32Array } | null;
}

export function takeSnapshot(run: TrainingCoordinator): RunSnapshot {
  const now = run.now();
  const opt = run.optimizer.state();
  const ev = run.evaluator.snapshot();
  const { pass, ...evaluator } = ev.state;
  const midStep = isMidStep(run);
  // Mid-step, the step is redone after a resume: shards already accepted in it are not the peers' yet.
  const taken = midStep ? run.engine.acceptedInRound() : new Map<string, { samples: number; shards: number }>();
  const asyncState = run.async ? run.async.snapshot() : null;
  const sampler = run.sampler.state();
  return {
    runId: run.setup.runId,
    weights: Float32Array.from(run.store.weights),
    version: run.store.version,
    optimizer: { name: opt.name, t: opt.t, slots: Object.fromEntries(Object.keys(opt.slots).sort().map((k) => [k, Float32Array.from(opt.slots[k]!)])) },
    lr: run.lr,
    step: run.step,
    // The sampler's position at the start of the step under way (that step is redone after a resume).
    sampler: midStep ? { epoch: sampler.epoch, cursor: sampler.cursor - run.engine.current!.items.length } : sampler,
    batchSize: run.sampler.batchSize,
    nextTaskId: run.engine.taskIdCursor,
    nextPeer: run.nextPeer,
    trainMs: run.trainStartedAt === null ? run.trainMsBefore : now - run.trainStartedAt,
    runMs: now - run.startedAt,
    history: run.history.map((h) => ({ ...h })),
    accounting: run.accounting.map((a) => ({ ...a })),
    engineCounters: { ...run.engine.counters },
    evaluator,
    bestWeights: ev.bestWeights ? Float32Array.from(ev.bestWeights) : null,
    resumePass: pass === null ? run.resumePass : pass.then === 'epoch' ? { then: 'epoch', epoch: pass.epoch } : { then: 'final', reason: pass.reason },
    peers: [...run.peers.values()].map((p) => ({
      id: p.id,
      reconnectToken: p.reconnectToken,
      nickname: p.nickname,
      kind: p.kind,
      backend: p.backend,
      backendNote: p.backendNote,
      renderer: p.renderer,
      samples: p.samples - (taken.get(p.id)?.samples ?? 0),
      steps: p.steps - (taken.get(p.id)?.shards ?? 0),
      evalSamples: p.evalSamples,
      computeMs: p.computeMs,
      connections: p.connections,
      speed: p.speed,
      cost: { ...p.cost },
    })),
    async: asyncState ? { state: asyncState.meta, pending: asyncState.indices } : null,
  };
}

/** A sync training step is under way (its batch taken from the sampler, not yet applied). */
function isMidStep(run: TrainingCoordinator): boolean {
  const cur = run.engine.current;
  return !run.async && cur !== null && cur.kind === 'train' && cur.id === run.step && run.state !== 'done';
}

/**
 * Applies a snapshot to a run that has not started (the caller has checked
 * it fits this run's model and configuration), then tells the stage machine
 * (`restored`, with the pass to redo and the training time so far).
 */
export function applySnapshot(run: TrainingCoordinator, s: RunSnapshot): void {
  // The dashboard may have switched the optimizer before this snapshot: continue with the one that was running.
  if (s.optimizer.name !== run.optimizer.name) run.optimizer = createOptimizer(optimizerConfig(withOptimizer(run.setup.config, s.optimizer.name)), run.setup.model.trainableParams);
  // First: the optimizer checks the slots against its own before anything else is written.
  run.optimizer.load({ name: s.optimizer.name, t: s.optimizer.t, slots: s.optimizer.slots });
  run.setup.runId = s.runId;
  run.store.weights.set(s.weights);
  run.store.version = s.version;
  run.lr = s.lr;
  run.step = s.step;
  run.sampler.load(s.sampler);
  if (s.batchSize !== run.sampler.batchSize) run.setBatchSize(s.batchSize);
  run.engine.continueTaskIds(s.nextTaskId);
  Object.assign(run.engine.counters, s.engineCounters);
  run.nextPeer = Math.max(run.nextPeer, s.nextPeer);
  run.startedAt = run.now() - s.runMs;
  run.history.splice(0, run.history.length, ...s.history.map((h) => ({ ...h })));
  run.accounting.splice(0, run.accounting.length, ...s.accounting.map((a) => ({ ...a })));
  run.evaluator.restore({ ...s.evaluator, pass: null }, s.bestWeights);
  const at = run.now();
  for (const p of s.peers) run.peers.set(p.id, { ...p, cost: { ...p.cost }, status: 'gone', sentWeights: -1, joinedAt: at, lastSeen: at });
  if (s.async && run.async) run.async.restore(s.async.state, s.async.pending);
  run.dispatch({ type: 'restored', pass: s.resumePass, trainMsBefore: s.trainMs });
}
