/**
 * Shape buckets. The WebGL backend compiles a shader program per distinct
 * tensor shape, and compiling is far slower than computing (measured in
 * headless Chromium: ~1.3 s per step when the shard size changed every step,
 * ~33 ms when it did not). Shards are sized by speed and so change size from
 * step to step; padding each batch up to one of a few bucket sizes, with the
 * padded rows masked out of the loss, keeps the set of shapes small and the
 * gradient exact.
 *
 * Buckets: multiples of 8 up to 32, then four per octave (≤ 25% padding).
 */
export function bucketSize(n: number): number {
  if (n <= 0) return 0;
  if (n <= 32) return Math.ceil(n / 8) * 8;
  const step = 2 ** (Math.floor(Math.log2(n)) - 2);
  return Math.ceil(n / step) * step;
}
