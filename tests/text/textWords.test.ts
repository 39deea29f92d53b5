import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { isRecurrent, recurrentCandidates } from '../../client/peer/recurrentChoice';
import { fitPrefix } from '../../client/volunteer/textPrompt';
import { buildCharRnn } from '../../coordinator/model/charRnn';
import { finalWords, lossWords } from '../../coordinator/model/lossWords';
import { sampleText, sampleTexts } from '../../shared/data/sampleText';

/**
 * The small pieces of text runs: what the terminal says (loss per character
 * and perplexity, not accuracy, as the headline), the prefix box reading what
 * a student types, the batched sampler the dashboard uses, and which models
 * a tab keeps off WebGL.
 */
describe('loss words', () => {
  it('a character model: nats per character and perplexity e^loss; others: the loss alone', () => {
    expect(lossWords('sequence', 2.3)).toBe('loss 2.3000 nats/char (perplexity 9.97)');
    expect(lossWords('classification', 2.3)).toBe('loss 2.3000');
    expect(lossWords('sequence', null)).toBe('loss -');
    expect(finalWords('sequence', Math.log(10), 0.3)).toBe('test loss 2.3026 nats/char (perplexity 10.00), next-character accuracy 0.3000');
    expect(finalWords('classification', 0.25, 0.9)).toBe('test accuracy 0.9000, test loss 0.2500');
  });
});

describe('prefix box', () => {
  it('reads the prefix in the model alphabet: capitals folded when only lower case exists, the rest left out and said', () => {
    const vocab = ['\n', 'a', 'm', 'r', 'y', '-'];
    expect(fitPrefix('Mary', vocab)).toEqual({ prefix: 'mary', dropped: '' });
    expect(fitPrefix('Ma ry!', vocab)).toEqual({ prefix: 'mary', dropped: ' !' });
    expect(fitPrefix('', vocab)).toEqual({ prefix: '', dropped: '' });
  });
});

describe('sampleTexts (batched, the dashboard)', () => {
  it('gives each seed exactly what sampleText gives it', async () => {
    const vocab = ['\n', 'a', 'b', 'c'];
    // Probabilities that depend on the window, so order and padding matter.
    const one = (w: Float32Array): Float32Array => {
      const s = w.reduce((a, b) => a + b, 0);
      const p = Float32Array.from([1 + (s % 3), 2, 1 + (w[w.length - 1]! % 2), 1.5]);
      const z = p.reduce((a, b) => a + b, 0);
      return p.map((x) => x / z);
    };
    const o = { vocab, seqLen: 4, prefix: 'ab', temperature: 0.9, maxChars: 12 };
    let pauses = 0;
    const got = await sampleTexts((ws) => ws.map(one), o, [1, 2, 3, 4, 5], async () => void pauses++);
    expect(got).toEqual([1, 2, 3, 4, 5].map((seed) => sampleText(one, { ...o, seed })));
    expect(new Set(got).size).toBeGreaterThan(1);
    expect(pauses).toBeGreaterThan(0);
  });
});

describe('backend choice for recurrent models', () => {
  const meta = { name: 'names', task: 'sequence' as const, inputShape: [8], numClasses: 28, featureType: 'f32' as const, splits: { train: 1, val: 0, test: 0 } };
  it.each(['lstm', 'gru', 'simplernn'] as const)('a %s char model is recurrent', (cell) => {
    const m = buildCharRnn(meta, { cell, units: 8, layers: 1, seed: 1 });
    expect(isRecurrent(JSON.parse(JSON.stringify(m.toJSON(null, false))))).toBe(true);
    m.dispose();
  });

  it('an MLP is not; recurrent models are timed on wasm and cpu only', () => {
    const mlp = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [2] })] });
    expect(isRecurrent(mlp.toJSON(null, false))).toBe(false);
    mlp.dispose();
    expect(recurrentCandidates({ webgl: { ok: true }, wasm: { ok: true }, cpu: { ok: true } })).toEqual(['wasm', 'cpu']);
    expect(recurrentCandidates({ webgl: { ok: true }, wasm: { ok: false, reason: 'no wasm' } })).toEqual(['cpu']);
  });
});
