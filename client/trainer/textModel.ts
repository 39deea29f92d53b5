import * as tf from '@tensorflow/tfjs';
import { sampleText, type NextCharProbabilities, type SampleOptions } from '../../shared/data/sampleText';
import type { Trainer } from './trainer';

/**
 * The character model's next-character probabilities from any tfjs model
 * with input [1, T] token ids and output [1, T, V] (tabtrain's trainer, or
 * plain `tf.loadLayersModel` on an export): the last position's row.
 */
export function nextCharFrom(model: tf.LayersModel): NextCharProbabilities {
  return (window) =>
    tf.tidy(() => {
      const y = model.predict(tf.tensor2d(window, [1, window.length])) as tf.Tensor;
      const [, t, v] = y.shape as [number, number, number];
      return y.slice([0, t - 1, 0], [1, 1, v]).dataSync() as Float32Array;
    });
}

/** Samples from a peer's own copy of the latest weights (the volunteer page's prefix box, the dashboard). */
export function sampleFromTrainer(trainer: Trainer, o: Omit<SampleOptions, 'vocab' | 'seqLen'>): string {
  const m = trainer.dataset.meta;
  if (m.task !== 'sequence') throw new Error(`sampling needs a character model; dataset ${m.name} is ${m.task}`);
  return sampleText(nextCharFrom(trainer.bound.model), { vocab: m.classNames ?? [], seqLen: m.inputShape[0]!, ...o });
}

/**
 * The prefix box's answer (peerRuntime.ts): one continuation per seed from
 * the tab's own model with the latest weights it received; null texts when
 * the tab has no character model (yet).
 */
export function continueText(trainer: Trainer | null, r: { prefix: string; temperature: number; seeds: number[]; maxChars: number }): { texts: string[] | null; weightsVersion: number; ms: number } {
  if (!trainer || trainer.dataset.meta.task !== 'sequence') return { texts: null, weightsVersion: trainer?.weightsVersion ?? -1, ms: 0 };
  const t0 = typeof performance !== 'undefined' ? performance.now() : Date.now();
  const texts = r.seeds.map((seed) => sampleFromTrainer(trainer, { prefix: r.prefix, temperature: r.temperature, seed, maxChars: r.maxChars }));
  return { texts, weightsVersion: trainer.weightsVersion, ms: (typeof performance !== 'undefined' ? performance.now() : Date.now()) - t0 };
}

/** Batched: the next-character probabilities after each window, one model call for all (sampleTexts). */
export function nextCharsFrom(model: tf.LayersModel): (windows: Float32Array[]) => Float32Array[] {
  return (windows) =>
    tf.tidy(() => {
      const T = windows[0]!.length;
      const x = new Float32Array(windows.length * T);
      windows.forEach((w, i) => x.set(w, i * T));
      const y = model.predict(tf.tensor2d(x, [windows.length, T])) as tf.Tensor;
      const [, t, v] = y.shape as [number, number, number];
      const last = y.slice([0, t - 1, 0], [windows.length, 1, v]).dataSync() as Float32Array;
      return windows.map((_, i) => last.slice(i * v, (i + 1) * v));
    });
}
