import { describe, expect, it } from 'vitest';
import { codecOf, parseCompress, payloadBytes, specOf, welcomeCodec } from '../../shared/compress';
import { parseConfig } from '../../shared/config/parse';
import { TensorCodec, decodeWelcome, encodeWelcome } from '../../shared/protocol';

describe('--compress', () => {
  it('parses the codecs and their wire codes', () => {
    expect(parseCompress('none')).toEqual({ name: 'none' });
    expect(parseCompress('FP16')).toEqual({ name: 'fp16' });
    expect(parseCompress('int8')).toEqual({ name: 'int8' });
    expect(parseCompress('topk:0.01')).toEqual({ name: 'topk', fraction: 0.01 });
    expect(parseCompress('topk:1')).toEqual({ name: 'topk', fraction: 1 });
    expect(codecOf(parseCompress('none'))).toBe(TensorCodec.FP32);
    expect(codecOf(parseCompress('topk:0.1'))).toBe(TensorCodec.TOPK);
    expect(specOf(TensorCodec.TOPK, 0.05)).toEqual({ name: 'topk', fraction: 0.05 });
    expect(specOf(TensorCodec.FP32)).toEqual({ name: 'none' });
  });

  it.each(['zip', 'topk', 'topk:', 'topk:0', 'topk:1.5', 'topk:-0.1', 'topk:abc', 'int4'])('refuses %s with CONFIG_INVALID', (s) => {
    expect(() => parseCompress(s)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => parseConfig({ compress: s })).toThrow(/^compress: /);
  });

  it('payload sizes', () => {
    expect(payloadBytes(parseCompress('none'), 1000)).toBe(4000);
    expect(payloadBytes(parseCompress('fp16'), 1000)).toBe(2000);
    expect(payloadBytes(parseCompress('int8'), 1000, 4)).toBe(1036);
    expect(payloadBytes(parseCompress('topk:0.01'), 1000)).toBe(84);
  });

  it('WELCOME carries the codec and top-k fraction, and stays valid without them', () => {
    const base = {
      peerId: 'p1',
      reconnectToken: 'r',
      runId: 'x',
      model: { topology: {}, weights: [], trainableParams: 0, stateParams: 0 },
      dataset: { url: '/d', hash: 'h', bytes: 0, name: 'n' },
      loss: 'mse' as const,
      augment: false,
    };
    const w = decodeWelcome(encodeWelcome({ ...base, ...welcomeCodec('topk:0.02') }));
    expect(w.gradCodec).toBe(TensorCodec.TOPK);
    expect(w.gradCodecParam).toBe(0.02);
    const plain = decodeWelcome(encodeWelcome({ ...base, ...welcomeCodec('none') }));
    expect(plain.gradCodec).toBe(TensorCodec.FP32);
    expect(plain.gradCodecParam).toBeUndefined();
  });
});
