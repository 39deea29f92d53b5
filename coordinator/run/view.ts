import type { Dataset } from '../../shared/data/dataset';
import type { P2pView } from '../p2p/plane';
import type { AggregateReport } from '../aggregate/aggregator';
import type { SpotStats, TrustView } from '../aggregate/spotRounds';
import type { WeightsBroadcast } from '../broadcast/weightsBroadcast';
import type { StepTimeline } from '../dashboard/timeline';
import type { Evaluator } from '../evaluation/evaluator';
import type { EngineCounters } from '../round/engine';
import type { Roster } from './roster';
import type { Stage } from './stage';
import type { ControlEntry, EpochAccounting, ExitReason, HistoryEntry, PeerRecord, RunSetup } from './types';

/**
 * What the report (coordinator/report.ts) and the status feed
 * (server/status.ts, server/dashboardFeed.ts) may see of a run: read-only all
 * the way down, so a reader cannot write the run (a write is a type error).
 * The run (`TrainingCoordinator`) is a RunView as it stands; nothing is
 * copied. Typed arrays stay writable (TypeScript has no readonly typed
 * array); none is reachable here except the dataset's. The dataset is the
 * run's input, not its state: it is shallow-read-only here so its
 * description can go to the shared/data helpers, which take the plain type.
 */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends ArrayBufferView
    ? T
    : T extends ReadonlyMap<infer K, infer V>
      ? ReadonlyMap<K, DeepReadonly<V>>
      : T extends object
        ? { readonly [P in keyof T]: DeepReadonly<T[P]> } // arrays and tuples become readonly ones
        : T;

export interface RunView {
  readonly setup: DeepReadonly<Omit<RunSetup, 'dataset'>> & { readonly dataset: Readonly<Pick<Dataset, 'meta'>> };
  readonly state: Stage;
  readonly exitReason: ExitReason | null;
  readonly step: number;
  readonly totalSteps: number;
  readonly readyPeers: number;
  readonly lr: number;
  /** Run clock (ms) when the run started, and when training started (less the training time before a resume). */
  readonly startedAt: number;
  readonly trainStartedAt: number | null;
  readonly optimizer: { readonly name: string };
  readonly sampler: { readonly epoch: number; readonly stepsPerEpoch: number; readonly batchSize: number };
  readonly peers: ReadonlyMap<string, DeepReadonly<PeerRecord>>;
  readonly roster: DeepReadonly<Pick<Roster, 'departed'>>;
  readonly history: readonly DeepReadonly<HistoryEntry>[];
  readonly accounting: readonly DeepReadonly<EpochAccounting>[];
  readonly controls: readonly DeepReadonly<ControlEntry>[];
  readonly timeline: DeepReadonly<Pick<StepTimeline, 'bars' | 'breakdown'>>;
  readonly evaluator: DeepReadonly<Pick<Evaluator, 'evals' | 'misclassified' | 'final' | 'bestEpoch' | 'stopReason' | 'targetReached' | 'testAccuracy'>>;
  readonly engine: { readonly counters: DeepReadonly<EngineCounters> };
  readonly store: { readonly lastAggregate: DeepReadonly<AggregateReport> | null };
  readonly broadcast: DeepReadonly<Pick<WeightsBroadcast, 'codec' | 'counts'>>;
  /** --mode async: the policy's report; null in the other modes. */
  readonly async: { report(): Record<string, unknown> } | null;
  readonly checkpointer: { summary(): Record<string, unknown> } | null;
  /** Gradient bytes into the coordinator and, with --p2p, the last step's reduction tree. */
  readonly p2p: { view(): P2pView };
  /** --spot-check: each peer's trust record and the checks' totals. */
  readonly spot: { readonly enabled: boolean; readonly stats: DeepReadonly<SpotStats>; table(): Record<string, TrustView> };
  now(): number;
  samplesPerSec(): number;
  /** Whether the peer has a shard out (the ledger's answer). */
  busy(peerId: string): boolean;
}
