import type { TrainingCoordinator } from '../coordinator/run/coordinator';

/**
 * Coordinator-side costs of each training step, measured by wrapping the
 * coordinator's own methods on one instance (nothing in the product changes):
 * encoding and sending tasks (broadcast), decoding, checking and summing
 * gradients (aggregate), averaging, and the optimizer. Times are exclusive: a
 * wrapped call made inside another (the last gradient of a step runs the
 * update and sends the next step's tasks) is not counted twice.
 */
export interface StepCosts {
  broadcastMs: number;
  aggregateMs: number;
  averageMs: number;
  optimizerMs: number;
}

export class CoordinatorProbe {
  readonly steps = new Map<number, StepCosts>();
  private readonly stack: number[] = [];

  constructor(private readonly run: TrainingCoordinator) {
    const r = run as unknown as Record<string, unknown>;
    const store = run.store as unknown as Record<string, unknown>;
    this.wrap(r, 'onGrad', () => run.step, 'aggregateMs');
    this.wrap(r, 'sendTask', (e: unknown) => ((e as { kind: string }).kind === 'train' ? (e as { roundId: number }).roundId : -1), 'broadcastMs');
    this.wrap(store, 'average', () => run.step, 'averageMs');
    this.wrap(store, 'apply', () => run.step, 'optimizerMs');
  }

  costs(step: number): StepCosts {
    let c = this.steps.get(step);
    if (!c) {
      c = { broadcastMs: 0, aggregateMs: 0, averageMs: 0, optimizerMs: 0 };
      this.steps.set(step, c);
    }
    return c;
  }

  private wrap(obj: Record<string, unknown>, name: string, stepOf: (arg: unknown) => number, bucket: keyof StepCosts): void {
    const original = obj[name] as (...a: unknown[]) => unknown;
    const self = this;
    obj[name] = function (this: unknown, ...args: unknown[]): unknown {
      const step = stepOf(args[0]);
      const t0 = performance.now();
      self.stack.push(0);
      try {
        return original.apply(this, args);
      } finally {
        const inner = self.stack.pop()!;
        const total = performance.now() - t0;
        if (self.stack.length > 0) self.stack[self.stack.length - 1]! += total;
        if (step >= 0) self.costs(step)[bucket] += total - inner;
      }
    };
  }
}
