import { fail } from '../errors';
import type { RawDataset } from './dataset';
import { Rng, deriveSeed } from './rng';

/**
 * TensorFlow-Playground-style toy sets: 2-D points in roughly [-1, 1], each
 * class generated separately so the classes are balanced exactly (counts
 * differ by at most one). `noise` is the standard deviation of Gaussian
 * jitter added to the coordinates, in the same units as the points; labels
 * stay those of the generating class, so noise makes the classes overlap.
 * The same (samples, noise, seed) always gives the same bytes.
 */
export interface SyntheticOptions {
  samples?: number;
  noise?: number;
  seed?: number;
}

/** `spiral3` is the three-arm, three-class spiral. */
export const SYNTHETIC_NAMES = ['xor', 'circles', 'spiral', 'spiral3', 'gauss', 'regression'] as const;
export type SyntheticName = (typeof SYNTHETIC_NAMES)[number];

export function isSyntheticName(s: string): s is SyntheticName {
  return (SYNTHETIC_NAMES as readonly string[]).includes(s);
}

interface Resolved {
  samples: number;
  noise: number;
  rng: Rng;
}

function resolve(name: string, o: SyntheticOptions, minSamples: number): Resolved {
  const samples = o.samples ?? 1000;
  const noise = o.noise ?? 0.1;
  if (!Number.isInteger(samples) || samples < minSamples) throw fail('CONFIG_INVALID', `${name}: samples must be an integer >= ${minSamples}, got ${samples}`);
  if (!Number.isFinite(noise) || noise < 0) throw fail('CONFIG_INVALID', `${name}: noise must be a finite number >= 0, got ${noise}`);
  return { samples, noise, rng: new Rng(deriveSeed(o.seed ?? 0, 'synthetic', name)) };
}

/** Class of sample i when n samples are dealt round-robin to k classes: balanced to within one. */
const dealt = (i: number, k: number): number => i % k;

function classification2d(name: string, numClasses: number, n: number, point: (cls: number, i: number) => [number, number]): RawDataset {
  const features = new Float32Array(2 * n);
  const labels = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const cls = dealt(i, numClasses);
    const [x, y] = point(cls, i);
    features[2 * i] = x;
    features[2 * i + 1] = y;
    labels[i] = cls;
  }
  const classNames = Array.from({ length: numClasses }, (_, c) => String(c));
  return { name, task: 'classification', inputShape: [2], numClasses, featureType: 'f32', classNames, features, labels };
}

/** Class 1 in quadrants I and III (x*y > 0), class 0 in II and IV; points kept off the axes by a small margin. */
export function xor(o: SyntheticOptions = {}): RawDataset {
  const { samples, noise, rng } = resolve('xor', o, 2);
  const margin = 0.05;
  return classification2d('xor', 2, samples, (cls) => {
    const sx = rng.nextFloat() < 0.5 ? -1 : 1;
    const sy = cls === 1 ? sx : -sx;
    return [sx * rng.uniform(margin, 1) + noise * rng.nextGaussian(), sy * rng.uniform(margin, 1) + noise * rng.nextGaussian()];
  });
}

/** Class 1 inside radius 0.5, class 0 in the ring 0.7..1, uniform in angle. */
export function circles(o: SyntheticOptions = {}): RawDataset {
  const { samples, noise, rng } = resolve('circles', o, 2);
  return classification2d('circles', 2, samples, (cls) => {
    const r = cls === 1 ? rng.uniform(0, 0.5) : rng.uniform(0.7, 1);
    const a = rng.uniform(0, 2 * Math.PI);
    return [r * Math.cos(a) + noise * rng.nextGaussian(), r * Math.sin(a) + noise * rng.nextGaussian()];
  });
}

/** `arms` interleaved spirals (2: binary, 3: three classes), radius growing 0..1 over 1.75 turns. */
export function spiral(o: SyntheticOptions & { arms?: 2 | 3 } = {}): RawDataset {
  const arms = o.arms ?? 2;
  if (arms !== 2 && arms !== 3) throw fail('CONFIG_INVALID', `spiral: arms must be 2 or 3, got ${String(arms)}`);
  const { samples, noise, rng } = resolve('spiral', o, arms);
  return classification2d(arms === 2 ? 'spiral' : 'spiral3', arms, samples, (cls) => {
    const t = rng.nextFloat(); // position along the arm
    const angle = 1.75 * 2 * Math.PI * t + (2 * Math.PI * cls) / arms;
    return [t * Math.sin(angle) + noise * rng.nextGaussian(), t * Math.cos(angle) + noise * rng.nextGaussian()];
  });
}

/**
 * Two Gaussian blobs centred at (0.5, 0.5) (class 1) and (-0.5, -0.5)
 * (class 0), each with standard deviation 0.15 + noise per coordinate.
 */
export function gauss(o: SyntheticOptions = {}): RawDataset {
  const { samples, noise, rng } = resolve('gauss', o, 2);
  const sd = 0.15 + noise;
  return classification2d('gauss', 2, samples, (cls) => {
    const c = cls === 1 ? 0.5 : -0.5;
    return [c + sd * rng.nextGaussian(), c + sd * rng.nextGaussian()];
  });
}

/** One input x uniform in [-1, 1], one target y = sin(3x) + noise * N(0, 1). */
export function regression(o: SyntheticOptions = {}): RawDataset {
  const { samples, noise, rng } = resolve('regression', o, 1);
  const features = new Float32Array(samples);
  const labels = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    const x = rng.uniform(-1, 1);
    features[i] = x;
    labels[i] = Math.sin(3 * x) + noise * rng.nextGaussian();
  }
  return { name: 'regression', task: 'regression', inputShape: [1], numClasses: 1, featureType: 'f32', features, labels };
}

export function syntheticDataset(name: SyntheticName, o: SyntheticOptions = {}): RawDataset {
  switch (name) {
    case 'xor':
      return xor(o);
    case 'circles':
      return circles(o);
    case 'spiral':
      return spiral(o);
    case 'spiral3':
      return spiral({ ...o, arms: 3 });
    case 'gauss':
      return gauss(o);
    case 'regression':
      return regression(o);
  }
}
