/**
 * How one step's gradients become the one gradient the optimizer applies.
 * The step path calls `reset()` when a step starts, `add()` for every
 * accepted shard (a gradient SUM over `count` samples, from one peer), and
 * `reduce(out)` once, which writes a per-sample mean gradient into `out`.
 *
 * `mean` adds every shard into one float64 accumulator (exact, the default).
 * The robust rules first fold each peer's shards into that peer's own
 * contribution x_i = (sum of its sums) / (sum of its counts), then combine
 * the x_i, where one peer's bad output can move the result only so far.
 */
export interface Aggregator {
  /** As given to --aggregate (`mean`, `clip`, `trimmed:1`, ...). */
  readonly name: string;
  /** Forgets the previous step's contributions (rules with history keep it: clip's center). */
  reset(): void;
  /** One accepted shard: `gradSum` sums `count` samples' gradients. Copied; the array may be a view of a frame. */
  add(peerId: string, gradSum: Float32Array, count: number): void;
  /** Writes the step's gradient (per sample) into `out` and says what it did. */
  reduce(out: Float32Array): AggregateReport;
}

export interface AggregateReport {
  /** Peers (or, for mean, shards) that contributed this step. */
  contributions: number;
  /** Samples behind the result. */
  count: number;
  /** Peers whose contribution was left out or shortened (clipped, trimmed at some coordinate is not listed). */
  flagged: readonly string[];
  /** Each peer's contribution norm ||x_i|| (robust rules; empty for mean). */
  norms: ReadonlyMap<string, number>;
}

export const NO_FLAGS: readonly string[] = [];
export const NO_NORMS: ReadonlyMap<string, number> = new Map();
