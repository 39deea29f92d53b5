import { describe, expect, it } from 'vitest';
import { encodeFp16, encodeFp32, encodeInt8 } from '../../shared/compress';
import { NO_TENSOR, TaskKind, decodeTask, encodeTask, encodeTaskParts } from '../../shared/protocol';

/** TASK as fragments (weights shared, not copied per peer) must be the same bytes as one frame. */
describe('encodeTaskParts', () => {
  const base = { kind: TaskKind.TRAIN, taskId: 7, step: 3, weightsVersion: 3, flags: 1, seed: 99, indices: new Uint32Array([4, 8, 15, 16, 23, 42]), baseVersion: 0 };
  const concat = (parts: Uint8Array[]): Uint8Array => {
    const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  };

  it.each([
    ['fp32 weights', encodeFp32(new Float32Array([1, -2, 3.5]))],
    ['fp16 weights (odd byte count, padded)', encodeFp16(new Float32Array([1, 2, 3]))],
    ['an int8 weights delta (odd byte count, padded)', encodeInt8(new Float32Array([0.5, -1, 0.25])).payload],
    ['no weights', NO_TENSOR],
  ])('%s: parts concatenate to encodeTask', (_, weights) => {
    const t = { ...base, weights };
    const parts = encodeTaskParts(t);
    expect(concat(parts)).toEqual(encodeTask(t));
    if (weights.bytes.byteLength > 0) expect(parts[1]).toBe(weights.bytes);
    const d = decodeTask(concat(parts));
    expect([...d.indices]).toEqual([...base.indices]);
    expect(d.weights.bytes.byteLength).toBe(weights.bytes.byteLength);
  });
});
