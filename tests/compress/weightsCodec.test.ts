import { describe, expect, it } from 'vitest';
import { addDelta, decodeTensor, encodeFp16, encodeFp32, encodeInt8, encodeTopk, formatWeightsCodec, parseWeightsCodec, weightsStepBytes } from '../../shared/compress';
import { parseConfig } from '../../shared/config/parse';
import { gradientLike } from './rng';

describe('--weights-codec', () => {
  it('parses the codecs; delta means delta:int8', () => {
    expect(parseWeightsCodec('none')).toEqual({ name: 'none' });
    expect(parseWeightsCodec('fp32')).toEqual({ name: 'none' });
    expect(parseWeightsCodec('FP16')).toEqual({ name: 'fp16' });
    expect(parseWeightsCodec('delta')).toEqual({ name: 'delta', quantizer: 'int8' });
    expect(parseWeightsCodec(' delta:int8 ')).toEqual({ name: 'delta', quantizer: 'int8' });
    expect(parseWeightsCodec('delta:fp16')).toEqual({ name: 'delta', quantizer: 'fp16' });
    expect(formatWeightsCodec(parseWeightsCodec('delta'))).toBe('delta:int8');
    expect(parseConfig({}).weightsCodec).toBe('none');
  });

  it.each(['int8', 'delta:int4', 'delta:', 'topk:0.1', 'zip', ''])('refuses %j with CONFIG_INVALID naming the option', (s) => {
    expect(() => parseWeightsCodec(s)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => parseConfig({ weightsCodec: s })).toThrow(/^weightsCodec: .*none \| fp16 \| delta/);
  });

  it('bytes per step for a peer that keeps up: 4n, 2n, n + 8 per tensor + 4', () => {
    expect(weightsStepBytes(parseWeightsCodec('none'), 1000, 4)).toBe(4000);
    expect(weightsStepBytes(parseWeightsCodec('fp16'), 1000, 4)).toBe(2000);
    expect(weightsStepBytes(parseWeightsCodec('delta:fp16'), 1000, 4)).toBe(2000);
    expect(weightsStepBytes(parseWeightsCodec('delta'), 1000, 4)).toBe(1036);
  });
});

describe('addDelta: M + decode(D), the same float32 sum on the mirror and on every peer', () => {
  it.each([
    ['int8', (d: Float32Array) => encodeInt8(d, [300, 700]).payload],
    ['fp16', (d: Float32Array) => encodeFp16(d)],
  ])('%s: equals decoding to float32 then adding in float32, bit for bit', (_name, encode) => {
    const m = gradientLike(1000, 3);
    const d = encode(gradientLike(1000, 4));
    const expected = new Float32Array(1000);
    const decoded = decodeTensor(d);
    for (let i = 0; i < 1000; i++) expected[i] = m[i]! + decoded[i]!;
    addDelta(d, m);
    expect(m).toEqual(expected);
  });

  it('a worked int8 example: scale 2/127, q rounds to nearest', () => {
    // D = [1, -2, 0.01]: scale = 2/127; q = round([63.5, -127, 0.635]) = [64, -127, 1].
    const m = Float32Array.of(10, 10, 10);
    addDelta(encodeInt8(Float32Array.of(1, -2, 0.01)).payload, m);
    const s = Math.fround(2 / 127);
    expect([...m]).toEqual([Math.fround(10 + Math.fround(64 * s)), Math.fround(10 + Math.fround(-127 * s)), Math.fround(10 + Math.fround(s))]);
  });

  it('refuses a delta in another codec, or of another length, before touching anything', () => {
    const m = Float32Array.of(1, 2, 3);
    expect(() => addDelta(encodeFp32(Float32Array.of(1, 1, 1)), m)).toThrow(expect.objectContaining({ code: 'FRAME_INVALID' }));
    expect(() => addDelta(encodeTopk(Float32Array.of(1, 1, 1), 0.5), m)).toThrow(expect.objectContaining({ code: 'FRAME_INVALID' }));
    expect(() => addDelta(encodeInt8(Float32Array.of(1, 1)).payload, m)).toThrow(/2 values, the weights have 3/);
    expect([...m]).toEqual([1, 2, 3]);
  });
});
