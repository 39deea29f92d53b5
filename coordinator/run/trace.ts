import type { UnitKind, Verdict } from '../round/work';
import type { Stage } from './stage';
import type { ExitReason } from './types';

/**
 * Named points in a run that tests and the bench subscribe to, instead of
 * wrapping the run's methods by name: the run emits each event at its point
 * and nowhere else. A listener reads; the one call back a test makes is a
 * control the dashboard could send at any moment (`pause`). With no listener
 * nothing is measured.
 *
 * - `stage`: the stage changed (stage.ts; emitted by `dispatch`, the one
 *   place that applies the stage machine's output);
 * - `peer-ready` / `peer-left`: membership, with the peer's connection count;
 * - `task-sent`: a TASK went to a peer (training or evaluation);
 * - `result`: a peer's result was judged (the ledger's verdict, or `failed`
 *   when it was unusable and its peer quarantined);
 * - `step-applied`: one update was applied (every mode; `step` is the new step);
 * - `timing`: the coordinator's own time in one phase of a step, exclusive of
 *   the timed phases nested inside it (the last gradient of a step runs the
 *   average and the optimizer, then sends the next step's tasks: each is
 *   counted once, in its own phase). `step` is the step the phase belongs to,
 *   -1 when it belongs to none (an evaluation task).
 */
export type TimedPhase =
  /** A result in: decode, check, judge, sum (and whatever it triggers that is not timed on its own). */
  | 'result'
  /** A TASK out: encode (with weights when the peer's copy is stale) and send. */
  | 'send'
  /** The step's accumulators averaged (the aggregator's reduction). */
  | 'average'
  /** The update: penalties, clipping, schedule, optimizer step. */
  | 'optimizer';

export type RunTraceEvent =
  | { type: 'stage'; from: Stage; to: Stage; exitReason: ExitReason | null }
  | { type: 'peer-ready'; peerId: string; nickname: string; connections: number }
  | { type: 'peer-left'; peerId: string; reconnecting: boolean }
  | { type: 'task-sent'; peerId: string; taskId: number; kind: UnitKind; round: number; backup: boolean }
  | { type: 'result'; peerId: string; taskId: number; verdict: Verdict | 'failed' }
  | { type: 'step-applied'; step: number; epoch: number; samples: number }
  | { type: 'timing'; phase: TimedPhase; step: number; ms: number };

export type RunTraceListener = (e: RunTraceEvent) => void;

export class RunTrace {
  private readonly listeners = new Set<RunTraceListener>();
  /** Time spent in timed phases nested in each open phase (exclusive times). */
  private readonly nested: number[] = [];

  /** `clock` (ms) times the `timing` events: the run's own (Io.now: performance.now in the server, a fake one in tests). */
  constructor(private readonly clock: () => number) {}

  /** Calls `listener` with every event from now on; returns the unsubscribe. */
  subscribe(listener: RunTraceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get active(): boolean {
    return this.listeners.size > 0;
  }

  emit(e: RunTraceEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Runs `fn`; with a listener, emits its exclusive time as a `timing` event of `phase`. */
  time<T>(phase: TimedPhase, step: number, fn: () => T): T {
    if (!this.active) return fn();
    const t0 = this.clock();
    this.nested.push(0);
    try {
      return fn();
    } finally {
      const inner = this.nested.pop()!;
      const total = this.clock() - t0;
      if (this.nested.length > 0) this.nested[this.nested.length - 1]! += total;
      this.emit({ type: 'timing', phase, step, ms: total - inner });
    }
  }
}
