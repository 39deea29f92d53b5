import type { RunTrace, TimedPhase } from '../coordinator/run/trace';

/**
 * Coordinator-side costs of each training step, from the run's trace
 * (coordinator/run/trace.ts `timing` events; nothing in the product is
 * wrapped or patched): encoding and sending tasks (broadcast), decoding,
 * checking and summing gradients (aggregate), averaging, and the optimizer.
 * Times are exclusive: a timed phase inside another (the last gradient of a
 * step runs the update and sends the next step's tasks) is not counted twice.
 */
export interface StepCosts {
  broadcastMs: number;
  aggregateMs: number;
  averageMs: number;
  optimizerMs: number;
}

const BUCKET: Record<TimedPhase, keyof StepCosts> = { send: 'broadcastMs', result: 'aggregateMs', average: 'averageMs', optimizer: 'optimizerMs' };

export class CoordinatorProbe {
  readonly steps = new Map<number, StepCosts>();
  /** Stops listening. */
  readonly close: () => void;

  constructor(run: { readonly trace: RunTrace }) {
    this.close = run.trace.subscribe((e) => {
      if (e.type === 'timing' && e.step >= 0) this.costs(e.step)[BUCKET[e.phase]] += e.ms;
    });
  }

  costs(step: number): StepCosts {
    let c = this.steps.get(step);
    if (!c) {
      c = { broadcastMs: 0, aggregateMs: 0, averageMs: 0, optimizerMs: 0 };
      this.steps.set(step, c);
    }
    return c;
  }
}
