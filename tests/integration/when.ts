import type { RunTrace } from '../../coordinator/run/trace';

/**
 * Resolves once `cond` holds, checked now and after every event of the run's
 * trace (coordinator/run/trace.ts): a test waits on the run's own events, not
 * on a polling loop or a sleep. The check runs inside the event, the test
 * continues after the run's handling of it has returned.
 */
export function when(run: { readonly trace: RunTrace }, cond: () => boolean): Promise<void> {
  if (cond()) return Promise.resolve();
  return new Promise((resolve) => {
    const off = run.trace.subscribe(() => {
      if (!cond()) return;
      off();
      resolve();
    });
  });
}

/** Pauses the run (as the dashboard's pause would) as soon as step `step` is applied: it stops at that step's boundary. */
export function pauseAfterStep(run: { readonly trace: RunTrace; pause(): void }, step: number): void {
  const off = run.trace.subscribe((e) => {
    if (e.type !== 'step-applied' || e.step < step) return;
    off();
    run.pause();
  });
}
