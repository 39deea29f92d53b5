import { describe, expect, it } from 'vitest';
import { GradientEncoder, decodeFp16, decodeTensor, encodeFp16, encodeInt8 } from '../../shared/compress';
import type { CompressSpec } from '../../shared/compress/spec';
import { CoverRelay } from '../../shared/p2p/coverRelay';
import { checkRelayedSum, codecSlackOf, digestOf, hopsSlackOf, type Digest } from '../../shared/p2p/digest';
import { HopEncoder, l2Diff } from '../../shared/p2p/hopCodec';
import { decodeTreeSum, encodeTreeSum, type CoveredSum } from '../../shared/p2p/treeSum';

/** Deterministic "gradients": uniform in ±scale. */
function grad(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return ((s / 2 ** 31) * 2 - 1) * scale;
  });
}

const covered = (peer: string, taskId: number, step: number, g: Float32Array, count = 8): CoveredSum => ({
  sum: { step, count, lossSum: count / 2, grad: g },
  covers: [{ peer, taskId, count, computeMs: 1 }],
});

describe('a sum on one tab-to-tab hop, in the run’s codec', () => {
  const n = 1000;
  const g = grad(n, 3);
  const s = covered('p1', 7, 2, g);

  it('the sum header names the codec (byte 1); the gradient part is the codec’s payload; the receiver decodes what was sent', () => {
    const fp32 = encodeTreeSum(s);
    const fp16 = new HopEncoder({ name: 'fp16' }, n).encode(s);
    const int8 = new HopEncoder({ name: 'int8' }, n, [600, 400]).encode(s);
    // tree header (8), sum header (20): byte 1 of the sum header is the codec, 0 for float32 as before
    expect([fp32[8], fp32[9]]).toEqual([0x53, 0]);
    expect([fp16.bytes[8], fp16.bytes[9]]).toEqual([0x53, 2]);
    expect([int8.bytes[8], int8.bytes[9]]).toEqual([0x53, 3]);
    expect(fp32.byteLength - fp16.bytes.byteLength).toBe(2 * n);
    expect(fp32.byteLength - int8.bytes.byteLength).toBe(4 * n - (4 + 8 * 2 + n));
    // the fp16 payload is the star's fp16 bytes
    expect(Buffer.from(fp16.bytes.subarray(28, 28 + 2 * n)).equals(Buffer.from(encodeFp16(g).bytes))).toBe(true);
    for (const hop of [fp16, int8]) {
      const got = decodeTreeSum(hop.bytes, n);
      expect(got.covers).toEqual(s.covers);
      expect(got.sum).toMatchObject({ step: 2, count: 8, lossSum: 4 });
      expect(Array.from(got.sum.grad)).toEqual(Array.from(hop.sent));
      expect(hop.codecErr).toBeCloseTo(l2Diff(hop.sent, g), 9);
      expect(hop.codecErr).toBeGreaterThan(0);
    }
    expect(Array.from(decodeTreeSum(fp16.bytes, n).sum.grad)).toEqual(Array.from(decodeFp16(encodeFp16(g))));
  });

  it('top-k and none travel in float32 (a sum of top-k parts is not sparse), with no rounding', () => {
    for (const spec of [{ name: 'none' }, { name: 'topk', fraction: 0.01 }] as CompressSpec[]) {
      const hop = new HopEncoder(spec, n).encode(s);
      expect(hop.bytes).toEqual(encodeTreeSum(s));
      expect(hop.codecErr).toBe(0);
      expect(Array.from(decodeTreeSum(hop.bytes, n).sum.grad)).toEqual(Array.from(g));
    }
  });

  it('refuses a payload of the wrong size or a codec a hop does not carry, with a typed error', () => {
    const hop = new HopEncoder({ name: 'fp16' }, n).encode(s);
    expect(() => decodeTreeSum(hop.bytes, n + 1)).toThrow(expect.objectContaining({ code: 'FRAME_INVALID' }));
    const topk = Uint8Array.from(hop.bytes);
    topk[9] = 4;
    expect(() => decodeTreeSum(topk, n)).toThrow(expect.objectContaining({ code: 'FRAME_INVALID', message: expect.stringContaining('codec 4') }));
    expect(() => encodeTreeSum(s, encodeInt8(grad(n - 1, 1)).payload)).toThrow(expect.objectContaining({ code: 'FRAME_INVALID' }));
  });

  it('int8 keeps its error feedback on the sender of the hop: over steps, what went up plus the residual is what was summed', () => {
    const enc = new HopEncoder({ name: 'int8' }, n, [600, 400]);
    const sentTotal = new Float64Array(n);
    const inTotal = new Float64Array(n);
    let scale = 0;
    for (let step = 0; step < 6; step++) {
      const x = grad(n, 100 + step, 1 + step);
      const hop = enc.encode(covered('p1', step, step, x));
      for (let i = 0; i < n; i++) {
        sentTotal[i]! += hop.sent[i]!;
        inTotal[i]! += x[i]!;
      }
      scale = Math.max(...Array.from(hop.sent, Math.abs)) / 127;
    }
    // the difference is this step's residual only: at most half a step of the last scale, never the sum of 6 roundings
    const worst = inTotal.reduce((m, v, i) => Math.max(m, Math.abs(v - sentTotal[i]!)), 0);
    expect(worst).toBeLessThanOrEqual(scale * 0.51 + 1e-4);
  });

  it('measured bytes per hop for the MNIST MLP (101,770 parameters, 4 tensors), a relay’s sum covering 3 tasks', () => {
    const sizes = [784 * 128, 128, 128 * 10, 10];
    const size = sizes.reduce((a, b) => a + b, 0);
    const sum: CoveredSum = { sum: { step: 1, count: 384, lossSum: 90, grad: grad(size, 9, 0.01) }, covers: [1, 2, 3].map((i) => ({ peer: `peer-${i}`, taskId: 40 + i, count: 128, computeMs: 50 })) };
    const bytes = (spec: CompressSpec): number => new HopEncoder(spec, size, sizes).encode(sum).bytes.byteLength;
    const fp32 = bytes({ name: 'none' });
    const fp16 = bytes({ name: 'fp16' });
    const int8 = bytes({ name: 'int8' });
    console.log(`bytes per hop, MNIST MLP: fp32 ${fp32}, fp16 ${fp16} (${(fp16 / fp32).toFixed(3)}), int8 ${int8} (${(int8 / fp32).toFixed(3)})`);
    expect(fp16 / fp32).toBeCloseTo(0.5, 2);
    expect(int8 / fp32).toBeCloseTo(0.25, 2);
  });
});

/**
 * A tree of depth 2 under the root, fan-in 2: root R <- relays A, B <- leaves a1, a2 (under A), b1, b2 (under B).
 * Leaves and relays send up with HopEncoder (the page's), the root sends the coordinator with its session's
 * GradientEncoder, as in a run; the encoders live across steps (int8's residuals carry over).
 */
function depth2(spec: CompressSpec, n: number, segments: number[]) {
  const tabs = ['R', 'A', 'B', 'a1', 'a2', 'b1', 'b2'];
  const children: Record<string, string[]> = { R: ['A', 'B'], A: ['a1', 'a2'], B: ['b1', 'b2'] };
  const parent: Record<string, string> = { A: 'R', B: 'R', a1: 'A', a2: 'A', b1: 'B', b2: 'B' };
  const hop = new Map(tabs.filter((t) => t !== 'R').map((t) => [t, new HopEncoder(spec, n, segments)]));
  const root = new GradientEncoder(spec, n, segments);
  /** One step: every tab's own gradient; `forge` may change what relay A adds from a child. */
  return (step: number, own: Record<string, Float32Array>, forge?: (from: string, s: CoveredSum) => CoveredSum) => {
    const errs = new Map<string, number>(tabs.map((t) => [t, 0]));
    let top: CoveredSum | null = null;
    const relays = new Map<string, CoverRelay>();
    const send = (tab: string, s: CoveredSum): void => {
      if (tab === 'R') return void (top = s);
      const h = hop.get(tab)!.encode(s);
      errs.set(tab, h.codecErr);
      const up = parent[tab]!;
      const got = decodeTreeSum(h.bytes, n);
      relays.get(up)!.fromChild(tab, forge && up === 'A' ? forge(tab, got) : got);
    };
    for (const t of tabs) relays.set(t, new CoverRelay(step, children[t] ?? [], (s) => send(t, s)));
    // leaves first (a relay's own sum may come before or after its children's: CoverRelay takes both)
    for (const t of [...tabs].reverse()) relays.get(t)!.own(covered(t, tabs.indexOf(t), step, own[t]!));
    const s = top as CoveredSum | null;
    if (!s) throw new Error('the root did not send');
    const payload = root.encode(s.sum.grad);
    const decoded = decodeTensor(payload, new Float32Array(n));
    errs.set('R', l2Diff(decoded, s.sum.grad));
    return { sum: { grad: decoded, count: s.sum.count, lossSum: s.sum.lossSum }, covers: s.covers, errs };
  };
}

describe('digest tolerance over every hop of a depth-2 tree with a lossy codec', () => {
  const n = 4000;
  const segments = [1000, 3000];
  const tabs = ['R', 'A', 'B', 'a1', 'a2', 'b1', 'b2'];

  it.each([
    ['fp16', { name: 'fp16' }],
    ['int8', { name: 'int8' }],
  ] as [string, CompressSpec][])('%s: honest trees pass step after step; a relay that zeroes a child’s gradient is rejected', (codec, spec) => {
    const run = depth2(spec, n, segments);
    const sumCodec = codec as 'fp16' | 'int8';
    for (let step = 1; step <= 4; step++) {
      const seed = 0x5eed + step;
      const own = Object.fromEntries(tabs.map((t, i) => [t, grad(n, 1000 * step + i, 0.5 + i / 4)]));
      const digestsOf = (r: ReturnType<typeof run>, claims: boolean): Digest[] =>
        r.covers.map((c) => digestOf(own[c.peer]!, c.count, covered(c.peer, 0, step, own[c.peer]!).sum.lossSum, seed, claims ? r.errs.get(c.peer)! : undefined));

      const honest = run(step, own);
      expect(honest.covers.map((c) => c.peer).sort()).toEqual([...tabs].sort());
      const digests = digestsOf(honest, true);
      expect(checkRelayedSum(honest.sum, digests, seed, hopsSlackOf(sumCodec, honest.sum.grad, digests))).toEqual({ ok: true });
      // tabs that claim nothing are allowed the codec's bound for their hop: still accepted
      const silent = digestsOf(honest, false);
      expect(checkRelayedSum(honest.sum, silent, seed, hopsSlackOf(sumCodec, honest.sum.grad, silent))).toEqual({ ok: true });
      // the rounding is really there: with no codec slack at all, the same honest sum fails
      expect(checkRelayedSum(honest.sum, digests, seed, 0).ok).toBe(false);

      // relay A passes a2's count, loss and task up but zeroes its gradient (its own hop's claim stays honest)
      const forged = run(step, own, (from, s) => (from === 'a2' ? { ...s, sum: { ...s.sum, grad: new Float32Array(n) } } : s));
      const fd = digestsOf(forged, true);
      const verdict = checkRelayedSum(forged.sum, fd, seed, hopsSlackOf(sumCodec, forged.sum.grad, fd));
      expect(verdict.ok).toBe(false);
      expect(verdict.ok === false && verdict.reason).toMatch(/^gradient projection \d is off by/);
    }
  });

  it('the slack is the sum of the hops’ claims, each capped at one hop’s bound (a relay cannot claim more rounding than its codec makes)', () => {
    const decoded = grad(n, 77, 3);
    const d = (codecErr?: number): Digest => ({ ...digestOf(grad(n, 5), 8, 1, 9), ...(codecErr === undefined ? {} : { codecErr }) });
    const cap = codecSlackOf('int8', decoded);
    expect(hopsSlackOf('int8', decoded, [d(0.1), d(0.2)])).toBeCloseTo(0.3, 12);
    expect(hopsSlackOf('int8', decoded, [d(0.1), d(1e9)])).toBeCloseTo(0.1 + cap, 9);
    expect(hopsSlackOf('int8', decoded, [d(), d()])).toBeCloseTo(2 * cap, 9);
    expect(hopsSlackOf('fp32', decoded, [d(5)])).toBe(0);
    expect(hopsSlackOf('topk', decoded, [d(5)])).toBe(Infinity);
  });
});
