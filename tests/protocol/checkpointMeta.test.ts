import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeCheckpoint, encodeCheckpoint } from '../../coordinator/checkpoint/checkpointFormat';

/** Checkpoint metadata is parsed, not cast: a file whose JSON does not match is CHECKPOINT_INVALID, naming the field. */
const meta = z.object({ runId: z.string(), step: z.number().int().nonnegative() }).strict();

describe('checkpoint metadata', () => {
  it('comes back parsed by the caller’s schema', () => {
    const bytes = encodeCheckpoint({ meta: { runId: 'r1', step: 7 }, tensors: { w: new Float32Array([1, 2]) } });
    const back = decodeCheckpoint(bytes, 'ck', meta);
    expect(back.meta).toEqual({ runId: 'r1', step: 7 });
    expect(Array.from(back.tensors.w!)).toEqual([1, 2]);
  });

  it('is refused, naming the field, when it does not match', () => {
    const bytes = encodeCheckpoint({ meta: { runId: 'r1', step: -3 }, tensors: {} });
    expect(() => decodeCheckpoint(bytes, 'ck', meta)).toThrow(expect.objectContaining({ code: 'CHECKPOINT_INVALID', message: expect.stringMatching(/^checkpoint ck: invalid metadata at meta\.step: /) }));
    const notObject = encodeCheckpoint({ meta: 5, tensors: {} });
    expect(() => decodeCheckpoint(notObject, 'ck')).toThrow(expect.objectContaining({ code: 'CHECKPOINT_INVALID', message: expect.stringMatching(/^checkpoint ck: invalid metadata at meta: /) }));
  });
});
