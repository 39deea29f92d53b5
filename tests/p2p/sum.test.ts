import { describe, expect, it } from 'vitest';
import { addInto, decodeSum, encodeSum } from '../../shared/p2p/sum';

describe('p2p gradient sums', () => {
  it('encodes golden bytes and decodes them back', () => {
    const bytes = encodeSum({ step: 2, count: 3, lossSum: 1.5, grad: Float32Array.from([1, -2]) });
    expect(Buffer.from(bytes).toString('hex')).toBe('53000000' + '02000000' + '03000000' + '000000000000f83f' + '0000803f' + '000000c0');
    expect(decodeSum(bytes, 2)).toEqual({ step: 2, count: 3, lossSum: 1.5, grad: Float32Array.from([1, -2]) });
  });

  it.each([
    ['a short header', new Uint8Array(8), 2, 'FRAME_TRUNCATED'],
    ['a wrong magic', new Uint8Array(28), 2, 'FRAME_INVALID'],
    ['a wrong length', encodeSum({ step: 0, count: 1, lossSum: 0, grad: new Float32Array(3) }), 2, 'GRAD_WRONG_LENGTH'],
    ['a NaN', encodeSum({ step: 0, count: 1, lossSum: 0, grad: Float32Array.from([0, NaN]) }), 2, 'GRAD_NOT_FINITE'],
  ])('refuses %s', (_w, bytes, len, code) => {
    expect(() => decodeSum(bytes, len)).toThrow(expect.objectContaining({ code }));
  });

  it('a relay adds counts, loss sums and gradients; refuses another step', () => {
    const acc = { step: 4, count: 2, lossSum: 1, grad: Float32Array.from([1, 1]) };
    addInto(acc, { step: 4, count: 3, lossSum: 2, grad: Float32Array.from([2, -1]) });
    expect(acc).toEqual({ step: 4, count: 5, lossSum: 3, grad: Float32Array.from([3, 0]) });
    expect(() => addInto(acc, { step: 3, count: 1, lossSum: 0, grad: new Float32Array(2) })).toThrow(expect.objectContaining({ code: 'GRAD_STALE' }));
  });
});
