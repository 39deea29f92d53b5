import { describe, expect, it } from 'vitest';
import { encodeInt8 } from '../../shared/compress';
import { TabtrainError } from '../../shared/errors';
import {
  MessageCode,
  PROTOCOL_VERSION,
  TaskFlag,
  TaskKind,
  TensorCodec,
  decodeMessage,
  encodeDone,
  encodeError,
  encodeEvalResult,
  encodeGrad,
  encodeHello,
  encodeReady,
  encodeStatus,
  encodeTask,
  encodeWeights,
  encodeWelcome,
  fp32Payload,
  NO_TENSOR,
} from '../../shared/protocol';

/** Literal bytes, ws-style: the layout is the contract, so the tests spell it out. */
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): string => Buffer.from(s, 'utf8').toString('hex');

describe('golden bytes', () => {
  it('HELLO: code, u16 LE version, then JSON', () => {
    const body = { token: 'tk', kind: 'tab' as const, backend: 'webgl' as const, backendNote: '', renderer: '', nickname: '', reconnectToken: '', codecs: [1] };
    const f = encodeHello(body);
    expect(hex(f.subarray(0, 3))).toBe('01' + '0200'); // v2: TASK carries baseVersion
    expect(hex(f.subarray(3))).toBe(ascii(JSON.stringify(body)));
  });

  it('WELCOME, READY, STATUS, ERROR, DONE: code then JSON', () => {
    expect(hex(encodeReady({ samplesPerSec: 100, warmupMs: 5 }))).toBe('03' + ascii('{"samplesPerSec":100,"warmupMs":5}'));
    expect(hex(encodeError({ code: 'BAD_TOKEN', message: 'no' }))).toBe('08' + ascii('{"code":"BAD_TOKEN","message":"no"}'));
    expect(hex(encodeDone({ reason: 'completed', testAccuracy: 0.5 }))).toBe('09' + ascii('{"reason":"completed","testAccuracy":0.5}'));
    const status = { state: 'training' as const, step: 1, epoch: 0, peers: 2, loss: null, valAccuracy: null, you: { steps: 1, samples: 2, share: 0.5, rank: 1 } };
    expect(encodeStatus(status)[0]).toBe(0x07);
    const welcome = {
      peerId: 'p1',
      reconnectToken: 'r',
      runId: 'run',
      model: { topology: { a: 1 }, weights: [{ name: 'k', shape: [2], trainable: true }], trainableParams: 2, stateParams: 0 },
      dataset: { url: '/data/h', hash: 'h', bytes: 10, name: 'mnist' },
      loss: 'mse' as const,
      gradCodec: 1,
      augment: false,
    };
    const w = encodeWelcome(welcome);
    expect(w[0]).toBe(0x02);
    expect(decodeMessage(w)).toEqual({ code: MessageCode.WELCOME, body: welcome });
  });

  it('TASK: 36-byte header, u32 indices, fp32 weights', () => {
    const f = encodeTask({
      kind: TaskKind.TRAIN,
      taskId: 7,
      step: 3,
      weightsVersion: 3,
      flags: 1,
      seed: 0xdeadbeef,
      indices: Uint32Array.of(5, 258),
      weights: fp32Payload(Float32Array.of(1, -2)),
      baseVersion: 0,
    });
    expect(hex(f)).toBe(
      '04' + '00' + '01' + '01' + // code, kind train, codec fp32, flags training
        '07000000' + '03000000' + '03000000' + // taskId, step, version
        '02000000' + '02000000' + '08000000' + 'efbeadde' + // 2 indices, 2 floats, 8 bytes, seed
        '00000000' + // base version (full weights)
        '05000000' + '02010000' + // indices 5, 258
        '0000803f' + '000000c0', // 1.0f, -2.0f
    );
  });

  it('TASK with a weights delta: flag WEIGHTS_DELTA (4) and the base version it applies to', () => {
    // int8 delta of [0.5, -1] in one segment: scale 1/127, q = [64, -127] (0.5 * 127 = 63.5 rounds to 64).
    const f = encodeTask({
      kind: TaskKind.TRAIN,
      taskId: 8,
      step: 4,
      weightsVersion: 4,
      flags: 1 | 4,
      seed: 1,
      indices: Uint32Array.of(9),
      weights: encodeInt8(Float32Array.of(0.5, -1)).payload,
      baseVersion: 3,
    });
    expect(hex(f)).toBe(
      '04' + '00' + '03' + '05' + // code, kind train, codec int8, flags training | delta
        '08000000' + '04000000' + '04000000' + // taskId, step, version
        '01000000' + '02000000' + '0e000000' + '01000000' + // 1 index, 2 values, 14 payload bytes, seed
        '03000000' + // the delta applies to version 3
        '09000000' + // index 9
        '01000000' + '0402013c' + '02000000' + '40' + '81' + // 1 segment, scale 1/127 (f32), length 2, q 64 and -127
        '0000', // padding to 4 bytes
    );
    const m = decodeMessage(f);
    if (m.code !== MessageCode.TASK) throw new Error('not TASK');
    expect(m.task.baseVersion).toBe(3);
    expect(m.task.flags & TaskFlag.WEIGHTS_DELTA).toBe(TaskFlag.WEIGHTS_DELTA);
  });

  it('GRAD: 48-byte header, gradient, state', () => {
    const f = encodeGrad({ taskId: 7, step: 3, weightsVersion: 3, count: 2, computeMs: 1.5, lossSum: 0.25, grad: fp32Payload(Float32Array.of(0.5)), state: Float32Array.of(2) });
    expect(hex(f)).toBe(
      '05' + '01' + '0000' + '07000000' + '03000000' + '03000000' + '02000000' +
        '0000c03f' + // computeMs 1.5f
        '000000000000d03f' + // lossSum 0.25 (f64)
        '01000000' + '04000000' + '01000000' + '00000000' + // grad length, bytes, state length, reserved
        '0000003f' + '00000040', // 0.5f, 2.0f
    );
  });

  it('EVAL_RESULT: 56-byte header, confusion, misclassified pairs', () => {
    const f = encodeEvalResult({
      taskId: 9, evalId: 1, count: 3, lossSum: 1, absErrSum: 0, sqErrSum: 0, apeSum: 0, computeMs: 2,
      classes: 2, confusion: Uint32Array.of(1, 1, 0, 1), misclassified: Uint32Array.of(42, 1),
    });
    expect(hex(f.subarray(0, 16))).toBe('06' + '00' + '0200' + '09000000' + '01000000' + '03000000');
    expect(hex(f.subarray(16, 24))).toBe('000000000000f03f');
    expect(hex(f.subarray(48, 56))).toBe('00000040' + '01000000');
    expect(hex(f.subarray(56))).toBe('01000000' + '01000000' + '00000000' + '01000000' + '2a000000' + '01000000');
  });

  it('WEIGHTS: 16-byte header then payload', () => {
    const f = encodeWeights({ weightsVersion: 4, weights: fp32Payload(Float32Array.of(1)) });
    expect(hex(f)).toBe('0a' + '01' + '0000' + '04000000' + '01000000' + '04000000' + '0000803f');
  });
});

describe('round trips', () => {
  it('every binary message decodes to what was encoded', () => {
    const task = { kind: TaskKind.EVAL, taskId: 1, step: 2, weightsVersion: 3, flags: 0, seed: 4, indices: Uint32Array.of(1, 2, 3), weights: NO_TENSOR, baseVersion: 0 };
    const t = decodeMessage(encodeTask(task));
    expect(t.code).toBe(MessageCode.TASK);
    if (t.code !== MessageCode.TASK) return;
    expect(Array.from(t.task.indices)).toEqual([1, 2, 3]);
    expect(t.task.weights.codec).toBe(TensorCodec.NONE);
    const grad = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
    const g = decodeMessage(encodeGrad({ taskId: 1, step: 2, weightsVersion: 3, count: 4, computeMs: 5, lossSum: 6.5, grad: fp32Payload(grad), state: new Float32Array(0) }));
    if (g.code !== MessageCode.GRAD) throw new Error('not GRAD');
    expect(new Float32Array(g.grad.grad.bytes.buffer, g.grad.grad.bytes.byteOffset, 1000)).toEqual(grad);
    expect(g.grad.lossSum).toBe(6.5);
    const h = decodeMessage(encodeHello({ token: 'x', kind: 'node', backend: 'cpu', backendNote: '', renderer: '', nickname: 'n', reconnectToken: '', codecs: [1] }));
    expect(h.code === MessageCode.HELLO && h.body.nickname).toBe('n');
  });

  it('decodes tensors as views over the received buffer when aligned', () => {
    const frame = encodeGrad({ taskId: 1, step: 0, weightsVersion: 0, count: 1, computeMs: 0, lossSum: 0, grad: fp32Payload(new Float32Array(8)), state: Float32Array.of(1, 2) });
    const m = decodeMessage(frame);
    if (m.code !== MessageCode.GRAD) throw new Error('not GRAD');
    expect(m.grad.state.buffer).toBe(frame.buffer);
  });
});

describe('malformed frames', () => {
  const codeOf = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(TabtrainError);
      return (e as TabtrainError).code;
    }
    throw new Error('did not throw');
  };

  it.each([
    ['empty', new Uint8Array(0), 'FRAME_EMPTY'],
    ['unknown code 0x7f', Uint8Array.of(0x7f, 0, 0), 'FRAME_UNKNOWN_CODE'],
    ['TASK header cut short', Uint8Array.of(0x04, 0, 1, 0, 7), 'FRAME_TRUNCATED'],
    ['GRAD header cut short', new Uint8Array(47).fill(0).map((_, i) => (i === 0 ? 5 : i === 1 ? 1 : 0)), 'FRAME_TRUNCATED'],
    ['HELLO without a version', Uint8Array.of(0x01, 1), 'FRAME_TRUNCATED'],
    ['READY with broken JSON', Uint8Array.of(0x03, 0x7b), 'FRAME_INVALID'],
    ['READY with bad UTF-8', Uint8Array.of(0x03, 0xff, 0xfe), 'FRAME_INVALID'],
  ])('%s', (_name, bytes, code) => {
    expect(codeOf(() => decodeMessage(bytes))).toBe(code);
  });

  it('a TASK whose indices run past the end is truncated, with the byte range', () => {
    const f = encodeTask({ kind: TaskKind.TRAIN, taskId: 1, step: 0, weightsVersion: 0, flags: 0, seed: 0, indices: Uint32Array.of(1, 2, 3), weights: NO_TENSOR, baseVersion: 0 });
    expect(() => decodeMessage(f.subarray(0, f.length - 2))).toThrow(/TASK frame is 46 bytes; indices needs bytes 36\.\.48/);
  });

  it('a GRAD with an unknown codec, or trailing bytes, is invalid', () => {
    const f = encodeGrad({ taskId: 1, step: 0, weightsVersion: 0, count: 1, computeMs: 0, lossSum: 0, grad: fp32Payload(Float32Array.of(1)), state: new Float32Array(0) });
    const bad = Uint8Array.from(f);
    bad[1] = 0x33;
    expect(codeOf(() => decodeMessage(bad))).toBe('FRAME_INVALID');
    const longer = new Uint8Array(f.length + 4);
    longer.set(f);
    expect(codeOf(() => decodeMessage(longer))).toBe('FRAME_INVALID');
  });

  it('HELLO of another version is refused with a reason naming both versions', () => {
    const f = encodeHello({ token: 't', kind: 'tab', backend: 'webgl', backendNote: '', renderer: '', nickname: '', reconnectToken: '', codecs: [1] }, PROTOCOL_VERSION + 1);
    expect(() => decodeMessage(f)).toThrow(new RegExp(`v${PROTOCOL_VERSION + 1}.*v${PROTOCOL_VERSION}.*newer client`));
    expect(codeOf(() => decodeMessage(f))).toBe('VERSION_MISMATCH');
  });

  it('HELLO with an unknown field is invalid (schemas are strict)', () => {
    const f = Uint8Array.from([0x01, PROTOCOL_VERSION, 0x00, ...Buffer.from('{"token":"t","kind":"tab","backend":"cpu","extra":1}')]);
    expect(() => decodeMessage(f)).toThrow(/HELLO body is invalid/);
  });

  it('a frame above the size limit is refused before parsing', () => {
    expect(codeOf(() => decodeMessage(new Uint8Array(100).fill(5), 64))).toBe('FRAME_TOO_LARGE');
  });
});
