import { fail, isTabtrainError } from '../../shared/errors';
import type { OptimizerName } from '../../shared/optim/types';
import { MATH_KEYS } from '../../shared/config/schema';
import type { EngineCounters } from '../round/engine';
import type { AsyncSnapshot } from '../round/asyncPolicy';
import { CHECKPOINT_FORMAT_VERSION, type CheckpointFile, type CheckpointTensor } from './checkpointFormat';
import type { CheckpointStore } from './checkpointStore';
import type { TrainingCoordinator } from '../run/coordinator';
import type { EvaluatorState } from '../evaluation/evaluator';
import type { SamplerState } from '../round/sampler';
import { applySnapshot, takeSnapshot, type RunSnapshot, type SavedPeer } from '../run/snapshot';
import type { EpochAccounting, HistoryEntry } from '../run/types';

export type { SavedPeer } from '../run/snapshot';

/**
 * A checkpoint is the run's snapshot (run/snapshot.ts: one value, taken by
 * `takeSnapshot`, applied by `applySnapshot`) as a file: the arrays as
 * tensors, the rest as metadata, with the configuration's fingerprint so a
 * resume with other math is refused. This file only converts and checks; it
 * never reads or writes the run's fields itself.
 */
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
const FINGERPRINT_KEYS = MATH_KEYS;

function fingerprint(run: TrainingCoordinator): Record<string, unknown> {
  const c = run.setup.config as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of FINGERPRINT_KEYS) out[k] = c[k] ?? null;
  return out;
}

export function captureCheckpoint(run: TrainingCoordinator, reason: CheckpointMeta['reason']): Checkpoint {
  return checkpointOf(takeSnapshot(run), { reason, fingerprint: fingerprint(run), trainableParams: run.setup.model.trainableParams, stateParams: run.setup.model.stateParams });
}

/** A snapshot as a checkpoint file's tensors and metadata. */
export function checkpointOf(s: RunSnapshot, o: Pick<CheckpointMeta, 'reason' | 'fingerprint' | 'trainableParams' | 'stateParams'>): Checkpoint {
  const tensors: Record<string, CheckpointTensor> = { weights: s.weights };
  for (const [k, v] of Object.entries(s.optimizer.slots)) tensors[`optimizer.${k}`] = v;
  if (s.bestWeights) tensors.bestWeights = s.bestWeights;
  if (s.async) tensors['async.pending'] = s.async.pending;
  const p = s.resumePass;
  // The file keeps the evaluator's shape of the pass; a resume only needs which pass and (final) why.
  const pass: EvaluatorState['pass'] = p === null ? null : p.then === 'epoch' ? { epoch: p.epoch, then: 'epoch', reason: 'completed' } : { epoch: s.sampler.epoch, then: 'final-val', reason: p.reason };
  const meta: CheckpointMeta = {
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    ...o,
    runId: s.runId,
    step: s.step,
    version: s.version,
    lr: s.lr,
    sampler: s.sampler,
    batchSize: s.batchSize,
    nextTaskId: s.nextTaskId,
    nextPeer: s.nextPeer,
    trainMs: s.trainMs,
    runMs: s.runMs,
    optimizer: { name: s.optimizer.name, t: s.optimizer.t, slots: Object.keys(s.optimizer.slots).sort() },
    history: s.history,
    accounting: s.accounting,
    engineCounters: s.engineCounters,
    evaluator: { ...s.evaluator, pass },
    peers: s.peers,
    async: s.async ? s.async.state : null,
  };
  return { meta, tensors };
}

/**
 * A checkpoint file as the snapshot it holds, checked against this run:
 * format, configuration fingerprint, the model's size, the optimizer's slots.
 * Throws CHECKPOINT_INVALID with the reason.
 */
export function snapshotOf(ck: Checkpoint, run: TrainingCoordinator, name: string): RunSnapshot {
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
    return bad(`it holds ${weights?.length ?? 0} weights, the model has ${run.store.weights.length}`);
  }
  const slots: Record<string, Float32Array> = {};
  for (const k of m.optimizer.slots) {
    const t = ck.tensors[`optimizer.${k}`];
    if (!(t instanceof Float32Array)) return bad(`optimizer slot ${k} is missing`);
    slots[k] = t;
  }
  const best = ck.tensors.bestWeights;
  const pending = ck.tensors['async.pending'];
  const { pass, ...evaluator } = m.evaluator;
  return {
    runId: m.runId,
    weights,
    version: m.version,
    optimizer: { name: m.optimizer.name, t: m.optimizer.t, slots },
    lr: m.lr,
    step: m.step,
    sampler: m.sampler,
    batchSize: m.batchSize,
    nextTaskId: m.nextTaskId,
    nextPeer: m.nextPeer,
    trainMs: m.trainMs,
    runMs: m.runMs,
    // JSON has no NaN: a diverged step's loss comes back as null.
    history: m.history.map((h) => ({ ...h, loss: h.loss ?? Number.NaN })),
    accounting: m.accounting,
    engineCounters: m.engineCounters,
    evaluator,
    bestWeights: best instanceof Float32Array ? best : null,
    resumePass: pass === null ? null : pass.then === 'epoch' ? { then: 'epoch', epoch: pass.epoch } : { then: 'final', reason: pass.reason },
    peers: m.peers,
    async: m.async ? { state: m.async, pending: pending instanceof Uint32Array ? pending : new Uint32Array(0) } : null,
  };
}

/**
 * Loads a checkpoint into a coordinator that has not started. Everything is
 * checked before anything is written, so a refused checkpoint leaves the run
 * as it was (the caller may then try an older one or start fresh).
 */
export function restoreCheckpoint(run: TrainingCoordinator, ck: Checkpoint, name: string): void {
  const s = snapshotOf(ck, run, name);
  if (run.state !== 'waiting' || run.step !== 0) throw fail('CHECKPOINT_INVALID', `checkpoint ${name}: a run can only be resumed before it starts`);
  applySnapshot(run, s);
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
