import { expectedMs, type SpeedModel } from './speed';

/**
 * Cuts `n` items into contiguous pieces proportional to `weights`, by the
 * largest-remainder method, so the sizes sum to exactly `n` and each piece is
 * within one item of its ideal share. A weight of 0 gets nothing.
 */
export function proportionalSizes(n: number, weights: readonly number[]): number[] {
  const total = weights.reduce((a, w) => a + Math.max(0, w), 0);
  if (weights.length === 0) return [];
  if (total <= 0) {
    // No measurements yet: equal shares.
    return proportionalSizes(n, weights.map(() => 1));
  }
  const ideal = weights.map((w) => (n * Math.max(0, w)) / total);
  const sizes = ideal.map(Math.floor);
  let left = n - sizes.reduce((a, b) => a + b, 0);
  const order = ideal.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) sizes[order[k]!.i]! += 1;
  return sizes;
}

/**
 * Cuts `n` samples across peers so that all are expected to finish at the
 * same moment T under their cost models (overhead + n_i * perSample):
 * n_i = (T - a_i) / b_i with sum n_i = n. A peer whose overhead alone exceeds
 * T would only finish last; it still gets a small floor share (1 to 8
 * samples, at most a quarter of an equal share), so that its speed keeps being measured: a tab misjudged at
 * warm-up, or one that got faster, is not starved for the rest of the run.
 * Sizes sum to exactly n.
 */
export function balancedSizes(n: number, models: readonly { msPerSample: number; overheadMs: number }[]): number[] {
  if (models.length === 0) return [];
  const active = models.map(() => true);
  let ideal: number[] = models.map(() => 0);
  for (let round = 0; round < models.length; round++) {
    let rate = 0;
    let fixed = 0;
    models.forEach((m, i) => {
      if (!active[i]) return;
      rate += 1 / m.msPerSample;
      fixed += m.overheadMs / m.msPerSample;
    });
    const t = (n + fixed) / rate;
    ideal = models.map((m, i) => (active[i] ? (t - m.overheadMs) / m.msPerSample : 0));
    const worst = ideal.reduce((w, x, i) => (active[i] && x <= 0 && (w < 0 || models[i]!.overheadMs > models[w]!.overheadMs) ? i : w), -1);
    if (worst < 0) break;
    active[worst] = false;
  }
  const k = models.length;
  const floor = n >= k ? Math.max(1, Math.min(8, Math.floor(n / (4 * k)))) : 0;
  const short = ideal.reduce((a, x) => a + Math.max(0, floor - x), 0);
  // Take the floor shares from the others in proportion to what they have.
  const spare = ideal.reduce((a, x) => a + Math.max(0, x - floor), 0);
  const adjusted = ideal.map((x) => (x < floor ? floor : spare > 0 ? x - (short * (x - floor)) / spare : x));
  return proportionalSizes(n, adjusted.map((x) => Math.max(0, x)));
}

/**
 * How much slower (predicted) a step may be with last step's shard sizes
 * before they are recut. A new shard size costs a WebGL tab a compile of
 * every kernel of the step (1-2 s on SwiftShader, against ~0.1-0.5 s steps;
 * bench item `scaling`, "slow steps"), while speed estimates wobble by a few
 * percent from step to step: recutting on every wobble compiled new shapes
 * all run long.
 */
export const RECUT_GAIN = 0.2;

/**
 * Shard sizes that stay put between steps: last step's sizes for the same
 * peers and total (or, for a new cut, equal shares: the size each tab was
 * told to expect and compiled at warm-up, WELCOME's shardSizes), unless the
 * balanced cut would finish more than `gain` sooner under the peers' current
 * cost models. `previous[i]` is peer i's size last time, or undefined (a peer
 * new to this cut).
 */
export function steadySizes(n: number, models: readonly SpeedModel[], previous: readonly (number | undefined)[], gain = RECUT_GAIN): number[] {
  const fresh = balancedSizes(n, models);
  const known = previous.length === models.length && previous.every((x): x is number => x !== undefined && x >= 0) && previous.reduce((a, b) => a + b, 0) === n;
  const keep = known ? previous : proportionalSizes(n, models.map(() => 1));
  return makespanMs(keep, models) <= (1 + gain) * makespanMs(fresh, models) ? [...keep] : fresh;
}

/** When the last of the peers is expected to finish its shard. */
export function makespanMs(sizes: readonly number[], models: readonly SpeedModel[]): number {
  return sizes.reduce((t, n, i) => Math.max(t, expectedMs(models[i]!, n)), 0);
}

/**
 * The shard sizes a joining tab can expect (WELCOME's shardSizes): an equal
 * share of the global batch among `peers`, then among one peer more and one
 * fewer. The tab compiles them at warm-up, so a fleet that grows or shrinks
 * by one does not stall a step on a compile.
 */
export function expectedShardSizes(batchSize: number, peers: number): number[] {
  const k = Math.max(1, peers);
  const sizes = [k, k + 1, k - 1].filter((p) => p >= 1).map((p) => Math.max(1, Math.ceil(batchSize / p)));
  return [...new Set(sizes)];
}
