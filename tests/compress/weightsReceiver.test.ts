import { describe, expect, it } from 'vitest';
import { WeightsReceiver, addDelta, decodeFp16, encodeFp16, encodeFp32, encodeInt8 } from '../../shared/compress';
import { CloseStatus } from '../../shared/errors';
import { MessageCode, NO_TENSOR, TaskFlag, TaskKind, decodeMessage, encodeTask, type TaskFrame } from '../../shared/protocol';

/** A TASK through the real wire encoding, as a peer receives it. */
function task(weightsVersion: number, weights: TaskFrame['weights'], delta = false, baseVersion = 0): TaskFrame {
  const f = encodeTask({ kind: TaskKind.TRAIN, taskId: weightsVersion, step: weightsVersion, weightsVersion, flags: TaskFlag.TRAINING | (delta ? TaskFlag.WEIGHTS_DELTA : 0), seed: 0, indices: Uint32Array.of(1), weights, baseVersion });
  const m = decodeMessage(f);
  if (m.code !== MessageCode.TASK) throw new Error('not TASK');
  return m.task;
}

const refused = (message: RegExp): unknown =>
  expect.objectContaining({ name: 'TabtrainError', code: 'WEIGHTS_BASE_MISSING', closeStatus: CloseStatus.WEIGHTS_RESYNC, message: expect.stringMatching(message) });

describe("a peer's copy of the weights", () => {
  it('full weights replace it (fp32 copied out of the frame, fp16 decoded); no weights leave it as is', () => {
    const r = new WeightsReceiver();
    const t = task(1, encodeFp32(Float32Array.of(1, 2, 3)));
    expect([...r.receive(t)!]).toEqual([1, 2, 3]);
    t.weights.bytes.fill(0); // the frame's buffer is reused by the socket: the copy must not be a view of it
    expect([...r.weights!]).toEqual([1, 2, 3]);
    const half = encodeFp16(Float32Array.of(0.1, -0.2, 0.3));
    expect(r.receive(task(2, half))).toEqual(decodeFp16(half));
    expect(r.version).toBe(2);
    expect(r.receive(task(2, NO_TENSOR))).toBeNull();
    expect(r.version).toBe(2);
  });

  it('a delta on the version held is added to it', () => {
    const r = new WeightsReceiver();
    r.receive(task(4, encodeFp32(Float32Array.of(1, 1, 1, 1))));
    const d = encodeInt8(Float32Array.of(0.5, -1, 0, 0.25)).payload;
    const expected = Float32Array.of(1, 1, 1, 1);
    addDelta(d, expected);
    expect(r.receive(task(5, d, true, 4))).toEqual(expected);
    expect(r.version).toBe(5);
  });

  it.each([
    ['a skipped version', [4], 3],
    ['no copy yet', [], 4],
    ['a copy of a newer version', [6], 5],
  ])('a delta on another base (%s) is refused with WEIGHTS_BASE_MISSING, a resync close, and nothing changed', (_name, held, base) => {
    const r = new WeightsReceiver();
    for (const v of held) r.receive(task(v, encodeFp32(Float32Array.of(1, 2))));
    const before = r.weights ? Float32Array.from(r.weights) : null;
    const have = held.length ? `version ${held[0]}` : 'no weights';
    expect(() => r.receive(task(base + 1, encodeInt8(Float32Array.of(1, 1)).payload, true, base))).toThrow(refused(new RegExp(`delta for version ${base} came, this peer holds ${have}: reconnecting for full weights`)));
    expect(r.version).toBe(held.length ? held[0] : -1);
    expect(r.weights).toEqual(before);
  });

  it('after a reset (a new connection) a delta is refused until full weights come', () => {
    const r = new WeightsReceiver();
    r.receive(task(1, encodeFp32(Float32Array.of(1, 2))));
    r.reset();
    expect(r.weights).toBeNull();
    expect(() => r.receive(task(2, encodeInt8(Float32Array.of(1, 1)).payload, true, 1))).toThrow(refused(/holds no weights/));
    expect([...r.receive(task(2, encodeFp32(Float32Array.of(3, 4))))!]).toEqual([3, 4]);
  });
});
