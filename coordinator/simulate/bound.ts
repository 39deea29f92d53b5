import { speedFactor, type Assumptions } from './assumptions';

/**
 * What the time model allows at best, before any byte moves: the speed-up of
 * N laptops over one per global batch from compute alone (zero airtime,
 * shards balanced so every laptop finishes together). A global batch of B
 * samples split N ways still pays each task's and each inner step's fixed
 * cost in full, so the fixed part caps the speed-up however many laptops
 * join. In sync mode N laptops follow one laptop's trajectory, so this is
 * also a bound on the speed-up to any accuracy; local steps can take more or
 * fewer global batches to an accuracy than one laptop, which the simulated
 * runs measure. Pure arithmetic on assumptions.ts; printed beside the runs.
 */
export interface ModeShape {
  /** Global batches per task: 1 (sync, async) or H (local:H). */
  batches: number;
}

export function shapeOf(mode: string): ModeShape {
  const h = /^local:(\d+)$/.exec(mode);
  return { batches: h ? Number(h[1]) : 1 };
}

/** Compute ms of one task covering `batches` global batches of `batch` samples on `n` laptops, balanced by speed. */
export function taskComputeMs(a: Assumptions, batches: number, batch: number, n: number): number {
  let rate = 0;
  for (let i = 0; i < n; i++) rate += 1 / speedFactor(i, n, a.spread);
  return a.overheadMs + (batches - 1) * a.innerStepOverheadMs + (batches * batch * a.msPerSample) / rate;
}

/** The compute-only speed-up of `n` laptops over 1 per global batch (an upper bound: no link, perfect balance). */
export function computeBound(a: Assumptions, mode: string, n: number, batch: number): number {
  const { batches } = shapeOf(mode);
  return taskComputeMs(a, batches, batch, 1) / taskComputeMs(a, batches, batch, n);
}

/** The same with infinitely many laptops: only the fixed costs are left. */
export function computeBoundLimit(a: Assumptions, mode: string, batch: number): number {
  const { batches } = shapeOf(mode);
  return taskComputeMs(a, batches, batch, 1) / (a.overheadMs + (batches - 1) * a.innerStepOverheadMs);
}

export function boundLines(a: Assumptions, modes: readonly string[], laptops: readonly number[], batch: number): string[] {
  return modes.map((m) => {
    const per = laptops.filter((n) => n > 1).map((n) => `${n}: ${computeBound(a, m, n, batch).toFixed(2)}x`);
    return `simulated bound, ${m}, compute only (zero airtime, balanced shares), speed-up over 1 laptop per global batch of ${batch}: ${per.join(', ')}; any class size: < ${computeBoundLimit(a, m, batch).toFixed(2)}x (the fixed ${a.overheadMs} ms of a task${shapeOf(m).batches > 1 ? ` and ${a.innerStepOverheadMs} ms of each inner step do` : ' does'} not split)`;
  });
}
