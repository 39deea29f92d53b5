import { Rng, deriveSeed } from './rng';

interface Indexable<T> {
  length: number;
  [i: number]: T;
}

/** Fisher-Yates: every permutation equally likely, given an unbiased nextInt. */
export function shuffleInPlace<T>(arr: Indexable<T>, rng: Rng): void {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const t = arr[i]!;
    arr[i] = arr[j]!;
    arr[j] = t;
  }
}

/** A seeded permutation of 0..n-1 for one purpose, named by `parts`. */
export function seededPermutation(n: number, seed: number, ...parts: (number | string)[]): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  shuffleInPlace(order, new Rng(deriveSeed(seed, ...parts)));
  return order;
}

/**
 * The order of the training samples in one epoch: a permutation of 0..n-1
 * that depends only on (seed, epoch), so a checkpoint stores (epoch, cursor)
 * and no RNG state, and any process recomputes the same order.
 */
export function epochOrder(seed: number, epoch: number, n: number): Uint32Array {
  return seededPermutation(n, seed, 'epoch', epoch);
}
