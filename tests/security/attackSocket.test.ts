import { describe, expect, it } from 'vitest';
import { GradientAttack, attackSocket, parseAttack } from '../../client/node/attack';
import type { PeerSocket } from '../../client/peer/socket';
import { decodeTensor, encodeFp32 } from '../../shared/compress';
import { MessageCode, decodeMessage, encodeEvalResult, encodeGrad, encodeReady } from '../../shared/protocol';

/** A socket that records what the (wrapped) peer sends. */
function recorder(): { ws: PeerSocket; sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  const ws: PeerSocket = { binaryType: 'arraybuffer', readyState: 1, onopen: null, onmessage: null, onclose: null, onerror: null, send: (d) => void sent.push(d), close: () => undefined };
  return { ws, sent };
}

const grad = (values: number[]): Uint8Array =>
  encodeGrad({ taskId: 7, step: 3, weightsVersion: 3, count: 2, computeMs: 5, lossSum: 1.5, grad: encodeFp32(Float32Array.from(values)), state: new Float32Array(0) });

function sentGradient(frame: Uint8Array): number[] {
  const m = decodeMessage(frame);
  if (m.code !== MessageCode.GRAD) throw new Error('not a GRAD');
  expect(m.grad).toMatchObject({ taskId: 7, step: 3, weightsVersion: 3, count: 2 }); // only the values lie
  return [...decodeTensor(m.grad.grad)];
}

describe('peer --attack rewrites what the honest session sends', () => {
  it.each([
    ['sign-flip', [1, -2, 4], [-1, 2, -4]],
    ['scale:-100', [1, -2, 4], [-100, 200, -400]],
    ['ipm', [1, -2, 4], [-0.5, 1, -2]],
  ])('%s', (spec, input, out) => {
    const { ws, sent } = recorder();
    attackSocket(ws, new GradientAttack(parseAttack(spec))).send(grad(input));
    expect(sentGradient(sent[0]!)).toEqual(out);
  });

  it('nan sends NaN; noise changes every value but is seeded (the same twice)', () => {
    const a = recorder();
    attackSocket(a.ws, new GradientAttack(parseAttack('nan'))).send(grad([1, 2]));
    expect(sentGradient(a.sent[0]!).every(Number.isNaN)).toBe(true);
    const n1 = recorder();
    const n2 = recorder();
    attackSocket(n1.ws, new GradientAttack(parseAttack('noise'))).send(grad([1, 2, 3]));
    attackSocket(n2.ws, new GradientAttack(parseAttack('noise'))).send(grad([1, 2, 3]));
    expect(sentGradient(n1.sent[0]!)).toEqual(sentGradient(n2.sent[0]!));
    expect(sentGradient(n1.sent[0]!)).not.toEqual([1, 2, 3]);
  });

  it('alie: per-sample mean minus one std of its own recent gradients, times the count', () => {
    const { ws, sent } = recorder();
    const s = attackSocket(ws, new GradientAttack(parseAttack('alie')));
    s.send(grad([2, 2])); // per sample 1, 1: no spread yet -> sends the mean: 2, 2
    s.send(grad([6, 2])); // value 0: m = 0.8*1 + 0.2*3 = 1.4, E[x^2] = 0.8*1 + 0.2*9 = 2.6, std = sqrt(2.6 - 1.96) = 0.8 -> 2 * (1.4 - 0.8) = 1.2
    expect(sentGradient(sent[0]!)).toEqual([2, 2]);
    expect(sentGradient(sent[1]!)[0]).toBeCloseTo(1.2, 5);
    expect(sentGradient(sent[1]!)[1]).toBeCloseTo(2, 5);
  });

  it('silent says READY and drops every answer', () => {
    const { ws, sent } = recorder();
    const s = attackSocket(ws, new GradientAttack(parseAttack('silent')));
    s.send(encodeReady({ samplesPerSec: 100, warmupMs: 1 }));
    s.send(grad([1]));
    expect(sent.map((f) => f[0])).toEqual([MessageCode.READY]);
  });

  it('liar claims 1000x its speed and a perfect evaluation, but sends its real gradient', () => {
    const { ws, sent } = recorder();
    const s = attackSocket(ws, new GradientAttack(parseAttack('liar')));
    s.send(encodeReady({ samplesPerSec: 100, warmupMs: 1 }));
    s.send(grad([1, 2]));
    s.send(encodeEvalResult({ taskId: 1, evalId: 1, count: 4, lossSum: 3, absErrSum: 0, sqErrSum: 0, apeSum: 0, computeMs: 1, classes: 2, confusion: Uint32Array.of(1, 1, 2, 0), misclassified: Uint32Array.of(0, 1, 2, 0, 3, 0) }));
    const ready = decodeMessage(sent[0]!);
    expect(ready.code === MessageCode.READY && ready.body.samplesPerSec).toBe(100_000);
    expect(sentGradient(sent[1]!)).toEqual([1, 2]);
    const ev = decodeMessage(sent[2]!);
    if (ev.code !== MessageCode.EVAL_RESULT) throw new Error('not EVAL_RESULT');
    expect([...ev.result.confusion]).toEqual([2, 0, 0, 2]); // every sample on the diagonal of its true class
    expect(ev.result.lossSum).toBe(0);
    expect(ev.result.misclassified.length).toBe(0);
  });

  it('refuses an unknown attack with the list', () => {
    expect(() => parseAttack('flip')).toThrow(/sign-flip \| scale:K/);
    expect(() => parseAttack('scale:x')).toThrow(/finite factor/);
  });
});
