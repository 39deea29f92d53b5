import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { Optimizer } from '../../shared/optim/types';

/**
 * The micrograd-style oracle: run our flat kernel and a tf.train optimizer on
 * the same parameters and gradients, and measure how far apart they end up.
 */

/** A small MLP's variables (64 -> 32 -> 10), as the coordinator flattens them, plus a long flat run. */
export const LAYER_SHAPES: number[][] = [[64, 32], [32], [32, 10], [10], [3000]];

/** mulberry32: deterministic, so a failure reproduces. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Roughly normal values (sum of uniforms), with every 97th entry exactly 0 to exercise g = 0. */
export function randomArray(n: number, next: () => number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 97 === 0 ? 0 : scale * (next() + next() + next() - 1.5) * 2;
  return out;
}

export interface OracleResult {
  /** Per step: max over entries of |ours - tfjs| / (1e-6 + 1e-5 * |tfjs|); at most 1 passes. */
  worst: number[];
  /** Tensors alive after the last step minus after the first (slots are created on the first). */
  grewDuringSteps: number;
  /**
   * The leak check of OUR kernel: tfjs tensors left alive by `ours.step`,
   * counted around each of our calls alone (never around tf.train's, whose
   * own bookkeeping is not ours to judge), summed over the steps.
   */
  oursTensorsLeft: number;
  /** Floats our optimizer holds in its state after each step (its slots): flat from the first step on, or it grows per step. */
  oursStateFloats: number[];
}

/** `makeTheirs` builds the tf.train optimizer inside the leak check, since its constructor keeps scalars. */
export function compareWithTfjs(ours: Optimizer, makeTheirs: () => tf.Optimizer, lr: number, steps = 6, seed = 1): OracleResult {
  const next = rng(seed);
  const sizes = LAYER_SHAPES.map((s) => s.reduce((a, b) => a * b, 1));
  const total = sizes.reduce((a, b) => a + b, 0);
  const offsets = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
  const params = randomArray(total, next);

  const theirs = makeTheirs();
  const vars = LAYER_SHAPES.map((shape, k) => {
    // slice: tfjs may keep the very array it is given, and our step writes into params.
    const init = tf.tensor(params.slice(offsets[k], offsets[k] + sizes[k]), shape);
    const v = tf.variable(init);
    init.dispose();
    return v;
  });

  const worst: number[] = [];
  let afterFirst = 0;
  let oursTensorsLeft = 0;
  const oursStateFloats: number[] = [];
  for (let s = 0; s < steps; s++) {
    const grad = randomArray(total, next);
    const before = tf.memory().numTensors;
    ours.step(params, grad, lr);
    oursTensorsLeft += tf.memory().numTensors - before;
    oursStateFloats.push(Object.values(ours.state().slots).reduce((a, x) => a + x.length, 0));
    const named: tf.NamedTensorMap = {};
    vars.forEach((v, k) => (named[v.name] = tf.tensor(grad.slice(offsets[k], offsets[k] + sizes[k]), LAYER_SHAPES[k])));
    theirs.applyGradients(named);
    tf.dispose(Object.values(named));
    if (s === 0) afterFirst = tf.memory().numTensors;

    let w = 0;
    vars.forEach((v, k) => {
      const want = v.dataSync();
      for (let i = 0; i < sizes[k]; i++) {
        const a = params[offsets[k] + i];
        const b = want[i];
        w = Math.max(w, Math.abs(a - b) / (1e-6 + 1e-5 * Math.abs(b)));
        if (Number.isNaN(a) || Number.isNaN(b)) w = Infinity;
      }
    });
    worst.push(w);
  }
  const grewDuringSteps = tf.memory().numTensors - afterFirst;
  theirs.dispose();
  tf.dispose(vars);
  // What tf.train leaves behind after dispose() is tfjs's business (4.22's
  // MomentumOptimizer keeps one scalar): it is not counted.
  return { worst, grewDuringSteps, oursTensorsLeft, oursStateFloats };
}

/**
 * Our kernel leaks nothing: it leaves no tfjs tensor alive, and the state it
 * holds is `slots` arrays of the parameters' size after every step (no
 * growth per step).
 */
export function expectNoLeak(r: OracleResult, slots: number, size: number): void {
  expect(r.oursTensorsLeft).toBe(0);
  expect(r.oursStateFloats).toEqual(r.oursStateFloats.map(() => slots * size));
}
