import { describe, expect, it } from 'vitest';
import { checkRelayedSum, codecSlackOf, digestOf, parseDigest, project } from '../../shared/p2p/digest';
import { decodeFp16, encodeFp16 } from '../../shared/compress/fp16';
import { decodeMessage, encodeDigest, encodeReveal, MessageCode } from '../../shared/protocol';
import { decodeInt8, encodeInt8 } from '../../shared/compress/int8';

/** Deterministic "gradients" of a given scale. */
function grad(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return ((s / 2 ** 31) * 2 - 1) * scale;
  });
}

function sumOf(gs: Float32Array[]): Float32Array {
  const out = new Float32Array(gs[0]!.length);
  for (const g of gs) for (let i = 0; i < out.length; i++) out[i] = out[i]! + g[i]!;
  return out;
}

describe('digest check', () => {
  const seed = 0xc0ffee;
  const children = [grad(5000, 1), grad(5000, 2, 1e-3), grad(5000, 3, 50), grad(5000, 4)];
  const digests = children.map((g, i) => digestOf(g, 32 + i, 10 + i, seed));
  const honest = { grad: sumOf(children), count: 32 + 33 + 34 + 35, lossSum: 10 + 11 + 12 + 13 };

  it('projections are linear and depend on the seed', () => {
    const a = project(Float32Array.from([1, 2, 3]), 7);
    const b = project(Float32Array.from([1, 2, 3]), 8);
    expect(a.l2).toBeCloseTo(Math.sqrt(14), 12);
    expect(a.proj.every((p) => [6, 4, 2, 0, -2, -4, -6].includes(p))).toBe(true);
    expect(a.proj).not.toEqual(b.proj);
  });

  it('accepts an honest float32 sum of children of very different scales', () => {
    expect(checkRelayedSum(honest, digests, seed)).toEqual({ ok: true });
  });

  it('accepts an honest sum added in another order (a relay adds children as they arrive)', () => {
    const reordered = sumOf([children[3]!, children[1]!, children[2]!, children[0]!]);
    expect(checkRelayedSum({ ...honest, grad: reordered }, digests, seed)).toEqual({ ok: true });
  });

  it.each([
    ['drops the smallest child but keeps the count', sumOf([children[0]!, children[2]!, children[3]!])],
    ['doubles a child', sumOf([children[0]!, children[0]!, children[1]!, children[2]!, children[3]!])],
    ['flips the sign of one coordinate', honest.grad.map((v, i) => (i === 17 ? -v : v))],
    ['adds noise of 1e-3 to every value', honest.grad.map((v, i) => v + (i % 2 ? 1e-3 : -1e-3))],
  ])('rejects a relay that %s', (_what, forged) => {
    const v = checkRelayedSum({ ...honest, grad: forged }, digests, seed);
    expect(v.ok).toBe(false);
  });

  it('rejects a wrong sample count or loss sum, naming what does not add up', () => {
    expect(checkRelayedSum({ ...honest, count: honest.count - 1 }, digests, seed)).toEqual({ ok: false, reason: 'sample count 133, the digests add up to 134' });
    const v = checkRelayedSum({ ...honest, lossSum: 40 }, digests, seed);
    expect(v.ok === false && v.reason).toMatch(/^loss sum 40/);
  });
});

describe('digest check after a lossy codec on the last hop (the root encodes its RELAYED sum with --compress)', () => {
  const seed = 0xbeef;
  const children = [grad(4000, 5), grad(4000, 6, 0.01), grad(4000, 7, 3)];
  const digests = children.map((g) => digestOf(g, 10, 1, seed));
  const exact = sumOf(children);
  const zeroed = sumOf([children[0]!, children[2]!]); // the middle child's gradient dropped, its count kept

  it.each([
    ['fp16', (g: Float32Array) => decodeFp16(encodeFp16(g))],
    ['int8', (g: Float32Array) => decodeInt8(encodeInt8(g, [1000, 3000]).payload)],
  ] as const)('%s: the honest sum passes with the codec slack, and fails without it; a sum without a child fails even with it', (codec, roundTrip) => {
    const honest = roundTrip(exact);
    expect(checkRelayedSum({ grad: honest, count: 30, lossSum: 3 }, digests, seed, codecSlackOf(codec, honest))).toEqual({ ok: true });
    expect(checkRelayedSum({ grad: honest, count: 30, lossSum: 3 }, digests, seed).ok).toBe(false);
    const forged = roundTrip(zeroed.map((v, i) => v + (i % 3 === 0 ? 2 : 0)));
    expect(checkRelayedSum({ grad: forged, count: 30, lossSum: 3 }, digests, seed, codecSlackOf(codec, forged)).ok).toBe(false);
  });

  it('top-k cannot be projected: counts and loss are still checked', () => {
    expect(codecSlackOf('topk', exact)).toBe(Infinity);
    expect(codecSlackOf('fp32', exact)).toBe(0);
    expect(checkRelayedSum({ grad: new Float32Array(4000), count: 30, lossSum: 3 }, digests, seed, Infinity)).toEqual({ ok: true });
    expect(checkRelayedSum({ grad: exact, count: 29, lossSum: 3 }, digests, seed, Infinity).ok).toBe(false);
  });
});

describe('digest at the boundary', () => {
  it('takes a well-formed digest and refuses anything else with a typed error naming the field', () => {
    const d = { count: 8, lossSum: 1.5, proj: [1, -2, 3, 0], l2: 4 };
    expect(parseDigest(d)).toEqual(d);
    expect(() => parseDigest({ ...d, proj: [1, 2] })).toThrow(expect.objectContaining({ code: 'FRAME_INVALID', message: expect.stringContaining('proj') }));
    expect(() => parseDigest({ ...d, count: -1 })).toThrow(expect.objectContaining({ code: 'FRAME_INVALID' }));
    expect(() => parseDigest({ ...d, lossSum: Infinity })).toThrow(expect.objectContaining({ code: 'FRAME_INVALID' }));
    expect(() => parseDigest({ ...d, extra: 1 })).toThrow(expect.objectContaining({ code: 'FRAME_INVALID' }));
  });
});

describe('REVEAL and DIGEST on the wire', () => {
  it('REVEAL is 0x0e then the JSON body (golden bytes); DIGEST is 0x0f then the body with the digest, checked at decode', () => {
    const reveal = encodeReveal({ step: 3, taskId: 7, seed: 42 });
    expect(Buffer.from(reveal).toString('hex')).toBe('0e' + Buffer.from('{"step":3,"taskId":7,"seed":42}').toString('hex'));
    expect(decodeMessage(reveal)).toEqual({ code: MessageCode.REVEAL, body: { step: 3, taskId: 7, seed: 42 } });
    const digest = { count: 8, lossSum: 1.5, proj: [1, -2, 3, 0], l2: 4 };
    const frame = encodeDigest({ step: 3, taskId: 7, seed: 42, digest });
    expect(frame[0]).toBe(0x0f);
    expect(decodeMessage(frame)).toEqual({ code: MessageCode.DIGEST, body: { step: 3, taskId: 7, seed: 42, digest } });
    const bad = new Uint8Array([0x0f, ...Buffer.from(JSON.stringify({ step: 3, taskId: 7, seed: 42, digest: { ...digest, proj: [1] } }))]);
    expect(() => decodeMessage(bad)).toThrow(expect.objectContaining({ code: 'FRAME_INVALID' }));
    expect(() => decodeMessage(new Uint8Array([0x0e, ...Buffer.from('{"step":3,"taskId":7,"seed":-1}')]))).toThrow(expect.objectContaining({ code: 'FRAME_INVALID' }));
  });
});
