import { describe, expect, it } from 'vitest';
import { GradientEncoder, decodeTensor, parseCompress } from '../../shared/compress';
import { gradientLike } from './rng';

/**
 * Error feedback: after any number of steps, what was sent plus what is
 * still in the residual equals the sum of the true gradients.
 */
describe('error feedback keeps what the codec dropped on the peer', () => {
  it.each(['topk:0.01', 'topk:0.1', 'int8'])('%s: sum(sent) + residual = sum(gradients) over 50 steps', (name) => {
    const n = 5000;
    const enc = new GradientEncoder(parseCompress(name), n, [1000, 4000]);
    expect(enc.usesFeedback).toBe(true);
    const truth = new Float64Array(n);
    const sent = new Float64Array(n);
    for (let step = 0; step < 50; step++) {
      const g = gradientLike(n, 100 + step);
      for (let i = 0; i < n; i++) truth[i]! += g[i]!;
      const d = decodeTensor(enc.encode(g));
      for (let i = 0; i < n; i++) sent[i]! += d[i]!;
    }
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      worst = Math.max(worst, Math.abs(sent[i]! + enc.residual[i]! - truth[i]!));
      scale = Math.max(scale, Math.abs(truth[i]!));
    }
    // Only float32 rounding of the residual separates the two.
    expect(worst).toBeLessThan(1e-5 * scale);
  });

  it('top-k: every coordinate is eventually sent (the residual stays bounded)', () => {
    const n = 1000;
    const enc = new GradientEncoder(parseCompress('topk:0.05'), n);
    const g = new Float32Array(n).fill(1e-3);
    g[0] = 1; // a large coordinate must not starve the small ones forever
    const everSent = new Uint8Array(n);
    for (let step = 0; step < 40; step++) {
      const d = decodeTensor(enc.encode(g));
      d.forEach((x, i) => {
        if (x !== 0) everSent[i] = 1;
      });
    }
    expect(everSent.every((x) => x === 1)).toBe(true);
    expect(Math.max(...enc.residual)).toBeLessThan(0.05);
  });

  it('none and fp16 keep no residual', () => {
    for (const c of ['none', 'fp16']) {
      const enc = new GradientEncoder(parseCompress(c), 10);
      expect(enc.usesFeedback).toBe(false);
      const g = gradientLike(10, 1);
      const d = decodeTensor(enc.encode(g));
      for (let i = 0; i < 10; i++) expect(d[i]).toBeCloseTo(g[i]!, 3);
    }
  });

  it('a NaN gradient reaches the coordinator as NaN and is not kept in the residual', () => {
    const enc = new GradientEncoder(parseCompress('int8'), 4, [4]);
    const bad = decodeTensor(enc.encode(new Float32Array([1, NaN, 2, 3])));
    expect(bad.some((x) => Number.isNaN(x))).toBe(true);
    expect(enc.residual.every((x) => Number.isFinite(x))).toBe(true);
    const ok = decodeTensor(enc.encode(new Float32Array([1, 1, 1, 1])));
    expect(ok.every((x) => Number.isFinite(x))).toBe(true);
  });
});
