import { fail, isTabtrainError } from '../../shared/errors';
import type { OptimizerName } from '../../shared/optim/types';
import type { EngineCounters } from '../round/engine';
import type { SpeedModel } from '../round/speed';
import type { AsyncSnapshot } from '../round/asyncPolicy';
import { CHECKPOINT_FORMAT_VERSION, type CheckpointFile, type CheckpointTensor } from './checkpointFormat';
import type { CheckpointStore } from './checkpointStore';
import type { TrainingCoordinator } from '../run/coordinator';
import type { EvaluatorState } from '../evaluation/evaluator';
import type { SamplerState } from '../round/sampler';
import type { EpochAccounting, HistoryEntry, PeerKind } from '../run/types';

/**
 * What a checkpoint holds and how it goes in and out of a running
 * coordinator: weights, optimizer state (slots and step count), step,
 * weights version, the sampler's epoch and cursor in its seeded order, the
 * task-id cursor (task seeds derive from it), history, evaluations,
 * accounting, and every peer's counters keyed by its reconnect token, so a
 * tab that reconnects after a restart continues as itself.
 *
 * A checkpoint taken mid-step (on a signal) stores the position at the start
 * of that step: the step is redone after a resume. Weights only change at
 * step boundaries, so they are always consistent with that position.
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

export interface CheckpointMeta {
  formatVersion: number;
  createdAt: string;
  reason: 'periodic' | 'signal' | 'manual';
  runId: string;
  /** Config fields that change the math: a resume with other values is refused. */
  fingerprint: Record<string, unknown>;
  trainableParams: number;
  stateParams: number;
  step: number;
  version: number;
  lr: number;
  sampler: SamplerState;
  /** The global batch in use (the dashboard may have changed it from the configured one). */
  batchSize: number;
  nextTaskId: number;
  nextPeer: number;
  /** Training wall time and run wall time before the checkpoint, ms (so rates and curves continue). */
  trainMs: number;
  runMs: number;
  optimizer: { name: OptimizerName; t: number; slots: string[] };
  history: HistoryEntry[];
  accounting: EpochAccounting[];
  engineCounters: EngineCounters;
  evaluator: EvaluatorState;
  peers: SavedPeer[];
  async: AsyncSnapshot | null;
}

export type Checkpoint = CheckpointFile<CheckpointMeta>;

/** Config keys that must be equal for a checkpoint to continue the same run. */
const FINGERPRINT_KEYS = [
  'dataset', 'split', 'label', 'samples', 'noise', 'normalize', 'augment',
  'model', 'hidden', 'conv', 'kernel', 'activation', 'initializer', 'dropout', 'batchNorm', 'loss',
  'optimizer', 'lr', 'momentum', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'schedule', 'gamma', 'decayEvery', 'warmupSteps', 'l1', 'l2', 'clipNorm',
  'batchSize', 'seed', 'mode', 'maxStaleness', 'localSteps', 'outerOptimizer', 'outerLr', 'outerMomentum',
] as const;

function fingerprint(run: TrainingCoordinator): Record<string, unknown> {
  const c = run.setup.config as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of FINGERPRINT_KEYS) out[k] = c[k] ?? null;
  return out;
}

export function captureCheckpoint(run: TrainingCoordinator, reason: CheckpointMeta['reason']): Checkpoint {
  const now = run.now();
  const opt = run.optimizer.state();
  const tensors: Record<string, CheckpointTensor> = { weights: Float32Array.from(run.store.weights) };
  for (const [k, v] of Object.entries(opt.slots)) tensors[`optimizer.${k}`] = v;
  const ev = run.evaluator.snapshot();
  if (ev.bestWeights) tensors.bestWeights = Float32Array.from(ev.bestWeights);
  const asyncState = run.async ? run.async.snapshot() : null;
  // Mid-step, the step is redone after a resume: shards already accepted in it are not the peers' yet.
  const midStep = isMidStep(run);
  const taken = midStep ? run.engine.acceptedInRound() : new Map<string, { samples: number; shards: number }>();
  if (asyncState) tensors['async.pending'] = asyncState.indices;
  const meta: CheckpointMeta = {
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    reason,
    runId: run.setup.runId,
    fingerprint: fingerprint(run),
    trainableParams: run.setup.model.trainableParams,
    stateParams: run.setup.model.stateParams,
    step: run.step,
    version: run.store.version,
    lr: run.lr,
    sampler: midStep ? stepStartSampler(run) : run.sampler.state(),
    batchSize: run.sampler.batchSize,
    nextTaskId: run.engine.taskIdCursor,
    nextPeer: run.nextPeer,
    trainMs: run.trainStartedAt === null ? run.trainMsBefore : now - run.trainStartedAt,
    runMs: now - run.startedAt,
    optimizer: { name: opt.name, t: opt.t, slots: Object.keys(opt.slots).sort() },
    history: run.history,
    accounting: run.accounting,
    engineCounters: { ...run.engine.counters },
    evaluator: ev.state,
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
      cost: p.cost,
    })),
    async: asyncState ? asyncState.meta : null,
  };
  return { meta, tensors };
}

/** A sync training step is under way (its batch taken from the sampler, not yet applied). */
function isMidStep(run: TrainingCoordinator): boolean {
  const cur = run.engine.current;
  return !run.async && cur !== null && cur.kind === 'train' && cur.id === run.step && run.state !== 'done';
}

/** The sampler's position at the start of the step under way (that step is redone after a resume). */
function stepStartSampler(run: TrainingCoordinator): SamplerState {
  const s = run.sampler.state();
  return { epoch: s.epoch, cursor: s.cursor - run.engine.current!.items.length };
}

/**
 * Loads a checkpoint into a coordinator that has not started. Everything is
 * checked before anything is written, so a refused checkpoint leaves the run
 * as it was (the caller may then try an older one or start fresh).
 */
export function restoreCheckpoint(run: TrainingCoordinator, ck: Checkpoint, name: string): void {
  const m = ck.meta;
  const bad = (why: string): never => {
    throw fail('CHECKPOINT_INVALID', `checkpoint ${name}: ${why}`);
  };
  if (m.formatVersion !== CHECKPOINT_FORMAT_VERSION) bad(`format version ${m.formatVersion}, expected ${CHECKPOINT_FORMAT_VERSION}`);
  const now = fingerprint(run);
  for (const k of FINGERPRINT_KEYS) {
    if (JSON.stringify(m.fingerprint[k] ?? null) !== JSON.stringify(now[k])) {
      bad(`it was made with ${k} = ${JSON.stringify(m.fingerprint[k] ?? null)}, this run has ${JSON.stringify(now[k])}; resume with the same options`);
    }
  }
  const weights = ck.tensors.weights;
  if (!(weights instanceof Float32Array) || weights.length !== run.store.weights.length) {
    bad(`it holds ${weights?.length ?? 0} weights, the model has ${run.store.weights.length}`);
  }
  const slots: Record<string, Float32Array> = {};
  for (const k of m.optimizer.slots) {
    const t = ck.tensors[`optimizer.${k}`];
    if (!(t instanceof Float32Array)) return bad(`optimizer slot ${k} is missing`);
    slots[k] = t;
  }
  if (run.state !== 'waiting' || run.step !== 0) bad('a run can only be resumed before it starts');
  // Checks the slots against the optimizer before touching anything else.
  run.optimizer.load({ name: m.optimizer.name, t: m.optimizer.t, slots });
  run.setup.runId = m.runId; // peers that kept the dataset and model skip the download
  run.store.weights.set(weights!);
  run.store.version = m.version;
  run.lr = m.lr;
  run.step = m.step;
  run.sampler.load(m.sampler);
  if (m.batchSize !== run.sampler.batchSize) run.setBatchSize(m.batchSize);
  run.engine.continueTaskIds(m.nextTaskId);
  Object.assign(run.engine.counters, m.engineCounters);
  run.nextPeer = Math.max(run.nextPeer, m.nextPeer);
  run.startedAt = run.now() - m.runMs;
  run.history.splice(0, run.history.length, ...m.history.map((h) => ({ ...h, loss: h.loss ?? Number.NaN })));
  run.accounting.splice(0, run.accounting.length, ...m.accounting);
  const best = ck.tensors.bestWeights;
  run.evaluator.restore(m.evaluator, best instanceof Float32Array ? best : null);
  const at = run.now();
  for (const p of m.peers) {
    run.peers.set(p.id, {
      ...p,
      status: 'gone',
      sentWeights: -1,
      joinedAt: at,
      lastSeen: at,
    });
  }
  if (m.async && run.async) {
    const pending = ck.tensors['async.pending'];
    run.async.restore(m.async, pending instanceof Uint32Array ? pending : new Uint32Array(0));
  }
  const pass = m.evaluator.pass;
  const resumePass = pass === null ? null : pass.then === 'epoch' ? { then: 'epoch' as const, epoch: pass.epoch } : { then: 'final' as const, reason: pass.reason };
  run.dispatch({ type: 'restored', pass: resumePass, trainMsBefore: m.trainMs });
}

/** Saves every `every` steps (at a step boundary) and on demand; remembers what it did for the report. */
export class Checkpointer {
  saved = 0;
  lastFile: string | null = null;
  lastStep = -1;
  resumedFrom: { file: string; step: number } | null = null;

  constructor(
    private readonly run: TrainingCoordinator,
    readonly store: CheckpointStore,
    readonly every: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Called at every step boundary; saves when the step is a multiple of `every`. */
  atBoundary(): void {
    const step = this.run.step;
    if (this.every > 0 && step > 0 && step % this.every === 0 && step !== this.lastStep) this.save('periodic');
  }

  /** Writes a checkpoint now; a failure is logged and returns null (training goes on). */
  save(reason: CheckpointMeta['reason']): string | null {
    const t0 = performance.now();
    try {
      const file = this.store.save(this.run.step, captureCheckpoint(this.run, reason));
      this.saved++;
      this.lastFile = file;
      this.lastStep = this.run.step;
      this.log(`checkpoint step ${this.run.step} (${reason}) -> ${file} in ${(performance.now() - t0).toFixed(0)} ms`);
      return file;
    } catch (e) {
      this.log(`checkpoint at step ${this.run.step} failed: ${e instanceof Error ? e.message : String(e)}; training goes on`);
      return null;
    }
  }

  summary(): Record<string, unknown> {
    return { dir: this.store.dir, every: this.every, saved: this.saved, lastFile: this.lastFile, lastStep: this.lastStep, resumedFrom: this.resumedFrom };
  }
}

/**
 * Wires checkpoints into a run before it starts: periodic saves, and with
 * `resume` the newest checkpoint that reads back whole (unusable ones are
 * reported by the store, which falls back to the previous). A fresh run
 * refuses a directory that already holds checkpoints, so two runs never mix.
 */
export function attachCheckpoints(run: TrainingCoordinator, o: { store: CheckpointStore; every: number; resume: boolean }, log: (line: string) => void): Checkpointer {
  o.store.acquire();
  const cp = new Checkpointer(run, o.store, o.every, log);
  run.checkpointer = cp;
  if (!o.resume) {
    o.store.assertFresh();
    return cp;
  }
  const found = o.store.loadNewest<CheckpointMeta>();
  if (!found) {
    log(`--resume: no usable checkpoint in ${o.store.dir}; starting from step 0`);
    return cp;
  }
  try {
    restoreCheckpoint(run, found.data, found.file);
  } catch (e) {
    // A checkpoint of another configuration is a mistake to fix, not a file to skip.
    if (isTabtrainError(e)) throw e;
    throw fail('CHECKPOINT_INVALID', `checkpoint ${found.file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  cp.resumedFrom = { file: found.file, step: found.data.meta.step };
  cp.lastStep = found.data.meta.step;
  const m = found.data.meta;
  log(`resumed from ${found.file}: step ${m.step}/${run.totalSteps}, epoch ${m.sampler.epoch + 1}, ${m.peers.length} known peer(s) may reconnect`);
  return cp;
}
