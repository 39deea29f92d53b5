import type { NormalizationStats } from '../../shared/data/normalize';
import type { SpeedModel } from '../round/speed';
import type { Config } from '../../shared/config/schema';
import type { LossName } from '../../shared/config/names';
import type { Dataset } from '../../shared/data/dataset';
import type { ModelDescription } from '../model/describe';
import type { ClassificationMetrics, RegressionMetrics, SequenceMetrics } from '../evaluation/metrics';

/** Everything a run needs before its first peer joins. */
export interface RunSetup {
  runId: string;
  config: Config;
  dataset: Dataset;
  /** Where peers download the encoded dataset. */
  datasetFile: { url: string; hash: string; bytes: number };
  model: ModelDescription;
  loss: LossName;
  lr: number;
  /** Feature normalisation the data got (training-split statistics); the export embeds it. */
  normalization: NormalizationStats | null;
}

export type PeerKind = 'tab' | 'node';
/** Whether a ready peer is computing is the work ledger's to say (round/ledger.ts `busy`), not the record's. */
export type PeerStatus = 'warming-up' | 'ready' | 'reconnecting' | 'gone';

/** Why a peer gets no more work: its result was unusable (a TabtrainError code and message). */
export interface Quarantine {
  code: string;
  reason: string;
  /** Run clock, ms. */
  at: number;
}

export interface PeerRecord {
  id: string;
  nickname: string;
  kind: PeerKind;
  backend: string;
  backendNote: string;
  renderer: string;
  reconnectToken: string;
  status: PeerStatus;
  /** Samples/s at a typical shard size, for people; `cost` is what shards are sized by. */
  speed: number;
  /** Cost model from warm-up, refined by every returned shard. */
  cost: SpeedModel;
  samples: number;
  steps: number;
  evalSamples: number;
  computeMs: number;
  /** The weights this peer was last sent (a WeightsBroadcast content serial, -1 none), so unchanged weights are not resent. */
  sentWeights: number;
  joinedAt: number;
  lastSeen: number;
  connections: number;
  /** Set when a result of this peer was unusable: it gets no more work in this run. */
  quarantine?: Quarantine;
}

export interface HistoryEntry {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  peers: number;
  /** Wall time of the step, from its first task sent to its last result in. */
  ms: number;
  /** The slowest accepted shard's compute time: the step's critical path inside the tabs. */
  computeMs: number;
  /** Time in the coordinator: averaging, optimizer, encoding the next tasks. */
  updateMs: number;
  samples: number;
  /** Wall-clock time since the run started, seconds. */
  t: number;
  /** Async mode: versions between the weights the gradient was computed on and those it was applied to. */
  staleness?: number;
}

export interface EvalEntry {
  epoch: number;
  step: number;
  split: 'val' | 'test';
  /** 'epoch': the pass after an epoch; 'final': the passes at the end (on the restored best weights after an early stop). */
  pass: 'epoch' | 'final';
  valLoss: number;
  valAccuracy: number | null;
  metrics: ClassificationMetrics | RegressionMetrics | SequenceMetrics;
}

export interface EpochAccounting {
  epoch: number;
  samplesUsed: number;
  duplicatesDropped: number;
  reassigned: number;
  lateDropped: number;
  /** Async mode: gradients dropped as too stale (their samples were computed again). */
  staleDropped?: number;
  complete: boolean;
}

export type ExitReason = 'completed' | 'early-stopped' | 'stopped' | 'diverged' | 'interrupted';

export type ControlAction = 'start' | 'pause' | 'resume' | 'stop' | 'lr' | 'optimizer' | 'batchSize';

/** One accepted dashboard control (controls.ts), as the report and the loss chart show it. */
export interface ControlEntry {
  action: ControlAction;
  /** Completed steps when it was applied: it affects step `step + 1` on. */
  step: number;
  /** Seconds since the run started (the history's clock). */
  t: number;
  from?: string | number;
  to?: string | number;
}

/** Periodic checkpoints, as the run sees them (checkpoint.ts). */
export interface SavePoint {
  lastStep: number;
  saved: number;
  store: { readonly dir: string };
  resumedFrom: { file: string; step: number } | null;
  /** Writes a checkpoint now; null when it failed (training goes on). */
  save(reason: 'periodic' | 'signal' | 'manual'): string | null;
  /** Called at every step boundary; saves when one is due. */
  atBoundary(): void;
  summary(): Record<string, unknown>;
}
