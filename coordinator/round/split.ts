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
