import { fail } from '../errors';
import { MessageCode, TaskKind, TensorCodec } from './codes';
import { FrameReader, FrameWriter, align4 } from './frame';
import { GRAD_HEADER_BYTES, GradField as G, TASK_HEADER_BYTES, TaskField as T } from './headers';

export { GRAD_HEADER_BYTES, GRAD_TASK_BYTES, GradField, TASK_HEADER_BYTES, TaskField, readTaskHeader, writeGradTask, type TaskHeader } from './headers';

/**
 * Frames that carry numbers in bulk. Fixed little-endian headers, then
 * 4-byte-aligned payloads, so decoders return views over the received buffer.
 * A tensor payload is `codec` + logical `length` (floats) + `bytes`; the
 * codec (shared/compress) turns it into a Float32Array.
 */
export interface TensorPayload {
  codec: TensorCodec;
  /** Logical number of float values. */
  length: number;
  bytes: Uint8Array;
}

export const NO_TENSOR: TensorPayload = { codec: TensorCodec.NONE, length: 0, bytes: new Uint8Array(0) };

export function fp32Payload(values: Float32Array): TensorPayload {
  return {
    codec: TensorCodec.FP32,
    length: values.length,
    bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  };
}

/*
 * TASK (coordinator -> client), 36-byte header:
 *   0 u8 code   1 u8 kind (0 train, 1 eval)   2 u8 weights codec (0 = none)   3 u8 flags
 *   4 u32 taskId   8 u32 step (eval: evaluation id)   12 u32 weightsVersion
 *  16 u32 indexCount   20 u32 weights length (floats)   24 u32 weights payload bytes   28 u32 seed
 *  32 u32 baseVersion: with flag WEIGHTS_DELTA, the version the payload is a difference to (else 0)
 *  36 u32[indexCount] sample indices, then the weights payload.
 */
export const TaskFlag = {
  TRAINING: 1,
  AUGMENT: 2,
  /**
   * The weights payload is a difference to add to the weights of
   * `baseVersion` (--weights-codec delta); a peer that does not hold that
   * version must not apply it (shared/compress/weightsReceiver.ts).
   */
  WEIGHTS_DELTA: 4,
} as const;

export interface TaskFrame {
  kind: TaskKind;
  taskId: number;
  step: number;
  weightsVersion: number;
  flags: number;
  /** Per-task seed for dropout and augmentation, so a replayed task computes the same gradient. */
  seed: number;
  indices: Uint32Array;
  /** The weights of `weightsVersion` (or, with WEIGHTS_DELTA, their difference to `baseVersion`'s), or NO_TENSOR when the peer already holds them. */
  weights: TensorPayload;
  /** With TaskFlag.WEIGHTS_DELTA: the version the delta applies to; otherwise 0. */
  baseVersion: number;
}

export function encodeTask(t: TaskFrame): Uint8Array {
  const weightsAt = TASK_HEADER_BYTES + t.indices.length * 4;
  const w = new FrameWriter(align4(weightsAt + t.weights.bytes.byteLength));
  w.u8(0, MessageCode.TASK);
  w.u8(T.KIND, t.kind);
  w.u8(T.WEIGHTS_CODEC, t.weights.codec);
  w.u8(T.FLAGS, t.flags);
  w.u32(T.TASK_ID, t.taskId);
  w.u32(T.STEP, t.step);
  w.u32(T.WEIGHTS_VERSION, t.weightsVersion);
  w.u32(T.INDEX_COUNT, t.indices.length);
  w.u32(T.WEIGHTS_LENGTH, t.weights.length);
  w.u32(T.WEIGHTS_BYTES, t.weights.bytes.byteLength);
  w.u32(T.SEED, t.seed);
  w.u32(T.BASE_VERSION, t.baseVersion);
  w.u32Array(TASK_HEADER_BYTES, t.indices);
  w.raw(weightsAt, t.weights.bytes);
  return w.bytes;
}

/**
 * The same TASK message as `encodeTask`, as parts to send as fragments of one
 * WebSocket message: the header and indices (small, per peer), then the
 * weights payload itself (shared by every peer of a step, never copied), then
 * padding to 4 bytes when needed. Concatenated, the parts are byte for byte
 * what `encodeTask` returns.
 */
export function encodeTaskParts(t: TaskFrame): Uint8Array[] {
  if (t.weights.bytes.byteLength === 0) return [encodeTask(t)];
  const head = encodeTask({ ...t, weights: { ...t.weights, bytes: new Uint8Array(0) } });
  const w = new FrameWriter(head.byteLength);
  w.raw(0, head);
  w.u32(T.WEIGHTS_BYTES, t.weights.bytes.byteLength);
  const pad = align4(t.weights.bytes.byteLength) - t.weights.bytes.byteLength;
  return pad > 0 ? [w.bytes, t.weights.bytes, new Uint8Array(pad)] : [w.bytes, t.weights.bytes];
}

export function decodeTask(frame: Uint8Array): TaskFrame {
  const r = new FrameReader(frame, 'TASK');
  r.need(0, TASK_HEADER_BYTES, 'header');
  const kind = r.u8(T.KIND, 'kind');
  if (kind !== TaskKind.TRAIN && kind !== TaskKind.EVAL && kind !== TaskKind.LOCAL) throw fail('FRAME_INVALID', `TASK kind ${kind} is not 0 (train), 1 (eval) or 2 (local steps)`);
  const codec = checkCodec(r.u8(T.WEIGHTS_CODEC, 'weights codec'), 'TASK');
  const n = r.u32(T.INDEX_COUNT, 'indexCount');
  const length = r.u32(T.WEIGHTS_LENGTH, 'weights length');
  const payloadBytes = r.u32(T.WEIGHTS_BYTES, 'weights payload bytes');
  const weightsAt = TASK_HEADER_BYTES + n * 4;
  return {
    kind,
    taskId: r.u32(T.TASK_ID, 'taskId'),
    step: r.u32(T.STEP, 'step'),
    weightsVersion: r.u32(T.WEIGHTS_VERSION, 'weightsVersion'),
    flags: r.u8(T.FLAGS, 'flags'),
    seed: r.u32(T.SEED, 'seed'),
    indices: r.u32Array(TASK_HEADER_BYTES, n, 'indices'),
    weights: { codec, length, bytes: r.slice(weightsAt, payloadBytes, 'weights') },
    baseVersion: r.u32(T.BASE_VERSION, 'baseVersion'),
  };
}

/*
 * GRAD (client -> coordinator), 48-byte header:
 *   0 u8 code   1 u8 gradient codec   2 u16 reserved
 *   4 u32 taskId   8 u32 step   12 u32 weightsVersion   16 u32 sample count
 *  20 f32 compute ms   24 f64 loss sum   32 u32 gradient length (floats)
 *  36 u32 gradient payload bytes   40 u32 state length (floats)   44 u32 reserved
 *  48 gradient payload, padded to 4, then state: f32[state length], the
 *     count-weighted SUM of the non-trainable weights after the shard
 *     (batch-norm moving statistics), which the coordinator averages.
 */

export interface GradFrame {
  taskId: number;
  step: number;
  weightsVersion: number;
  count: number;
  computeMs: number;
  lossSum: number;
  grad: TensorPayload;
  state: Float32Array;
}

export function encodeGrad(g: GradFrame): Uint8Array {
  const stateAt = align4(GRAD_HEADER_BYTES + g.grad.bytes.byteLength);
  const w = new FrameWriter(stateAt + g.state.byteLength);
  w.u8(0, MessageCode.GRAD);
  w.u8(G.CODEC, g.grad.codec);
  w.u32(G.TASK_ID, g.taskId);
  w.u32(G.STEP, g.step);
  w.u32(G.WEIGHTS_VERSION, g.weightsVersion);
  w.u32(G.COUNT, g.count);
  w.f32(G.COMPUTE_MS, g.computeMs);
  w.f64(G.LOSS_SUM, g.lossSum);
  w.u32(G.GRAD_LENGTH, g.grad.length);
  w.u32(G.GRAD_BYTES, g.grad.bytes.byteLength);
  w.u32(G.STATE_LENGTH, g.state.length);
  w.raw(GRAD_HEADER_BYTES, g.grad.bytes);
  w.f32Array(stateAt, g.state);
  return w.bytes;
}

export function decodeGrad(frame: Uint8Array): GradFrame {
  const r = new FrameReader(frame, 'GRAD');
  r.need(0, GRAD_HEADER_BYTES, 'header');
  const codec = checkCodec(r.u8(G.CODEC, 'gradient codec'), 'GRAD');
  if (codec === TensorCodec.NONE) throw fail('FRAME_INVALID', 'GRAD carries no gradient (codec 0)');
  const payloadBytes = r.u32(G.GRAD_BYTES, 'gradient payload bytes');
  const stateLength = r.u32(G.STATE_LENGTH, 'state length');
  const stateAt = align4(GRAD_HEADER_BYTES + payloadBytes);
  const g: GradFrame = {
    taskId: r.u32(G.TASK_ID, 'taskId'),
    step: r.u32(G.STEP, 'step'),
    weightsVersion: r.u32(G.WEIGHTS_VERSION, 'weightsVersion'),
    count: r.u32(G.COUNT, 'count'),
    computeMs: r.f32(G.COMPUTE_MS, 'computeMs'),
    lossSum: r.f64(G.LOSS_SUM, 'lossSum'),
    grad: { codec, length: r.u32(G.GRAD_LENGTH, 'gradient length'), bytes: r.slice(GRAD_HEADER_BYTES, payloadBytes, 'gradient') },
    state: r.f32Array(stateAt, stateLength, 'state'),
  };
  if (stateAt + stateLength * 4 !== frame.byteLength) {
    throw fail('FRAME_INVALID', `GRAD frame is ${frame.byteLength} bytes but its fields end at byte ${stateAt + stateLength * 4}`);
  }
  return g;
}

/*
 * EVAL_RESULT (client -> coordinator), 56-byte header:
 *   0 u8 code   1 u8 reserved   2 u16 classes K (0 for regression)
 *   4 u32 taskId   8 u32 evaluation id   12 u32 sample count   16 f64 loss sum
 *  24 f64 sum |y - p|   32 f64 sum (y - p)^2   40 f64 sum |y - p| / |y|   48 f32 compute ms
 *  52 u32 misclassified count M
 *  56 u32[K*K] confusion matrix (row = true class, column = predicted)
 *     then M pairs of u32 (sample index, predicted class).
 */
export const EVAL_HEADER_BYTES = 56;

export interface EvalResultFrame {
  taskId: number;
  evalId: number;
  count: number;
  lossSum: number;
  absErrSum: number;
  sqErrSum: number;
  apeSum: number;
  computeMs: number;
  classes: number;
  confusion: Uint32Array;
  /** Flat pairs [index, predicted, index, predicted, ...]. */
  misclassified: Uint32Array;
}

export function encodeEvalResult(e: EvalResultFrame): Uint8Array {
  const k2 = e.classes * e.classes;
  if (e.confusion.length !== k2) throw fail('FRAME_INVALID', `confusion has ${e.confusion.length} cells, expected ${k2}`);
  const w = new FrameWriter(EVAL_HEADER_BYTES + (k2 + e.misclassified.length) * 4);
  w.u8(0, MessageCode.EVAL_RESULT);
  w.u16(2, e.classes);
  w.u32(4, e.taskId);
  w.u32(8, e.evalId);
  w.u32(12, e.count);
  w.f64(16, e.lossSum);
  w.f64(24, e.absErrSum);
  w.f64(32, e.sqErrSum);
  w.f64(40, e.apeSum);
  w.f32(48, e.computeMs);
  w.u32(52, e.misclassified.length / 2);
  w.u32Array(EVAL_HEADER_BYTES, e.confusion);
  w.u32Array(EVAL_HEADER_BYTES + k2 * 4, e.misclassified);
  return w.bytes;
}

export function decodeEvalResult(frame: Uint8Array): EvalResultFrame {
  const r = new FrameReader(frame, 'EVAL_RESULT');
  r.need(0, EVAL_HEADER_BYTES, 'header');
  const classes = r.u16(2, 'classes');
  const m = r.u32(52, 'misclassified count');
  const k2 = classes * classes;
  const end = EVAL_HEADER_BYTES + (k2 + 2 * m) * 4;
  if (end !== frame.byteLength) {
    throw fail('FRAME_INVALID', `EVAL_RESULT frame is ${frame.byteLength} bytes but its fields end at byte ${end}`);
  }
  return {
    taskId: r.u32(4, 'taskId'),
    evalId: r.u32(8, 'evalId'),
    count: r.u32(12, 'count'),
    lossSum: r.f64(16, 'lossSum'),
    absErrSum: r.f64(24, 'absErrSum'),
    sqErrSum: r.f64(32, 'sqErrSum'),
    apeSum: r.f64(40, 'apeSum'),
    computeMs: r.f32(48, 'computeMs'),
    classes,
    confusion: r.u32Array(EVAL_HEADER_BYTES, k2, 'confusion'),
    misclassified: r.u32Array(EVAL_HEADER_BYTES + k2 * 4, 2 * m, 'misclassified'),
  };
}

/*
 * WEIGHTS (coordinator -> client), 16-byte header:
 *   0 u8 code   1 u8 codec   2 u16 reserved   4 u32 weightsVersion
 *   8 u32 length (floats)   12 u32 payload bytes   16 payload
 */
export const WEIGHTS_HEADER_BYTES = 16;

export interface WeightsFrame {
  weightsVersion: number;
  weights: TensorPayload;
}

export function encodeWeights(m: WeightsFrame): Uint8Array {
  const w = new FrameWriter(align4(WEIGHTS_HEADER_BYTES + m.weights.bytes.byteLength));
  w.u8(0, MessageCode.WEIGHTS);
  w.u8(1, m.weights.codec);
  w.u32(4, m.weightsVersion);
  w.u32(8, m.weights.length);
  w.u32(12, m.weights.bytes.byteLength);
  w.raw(WEIGHTS_HEADER_BYTES, m.weights.bytes);
  return w.bytes;
}

export function decodeWeights(frame: Uint8Array): WeightsFrame {
  const r = new FrameReader(frame, 'WEIGHTS');
  r.need(0, WEIGHTS_HEADER_BYTES, 'header');
  const codec = checkCodec(r.u8(1, 'codec'), 'WEIGHTS');
  const length = r.u32(8, 'length');
  const bytes = r.u32(12, 'payload bytes');
  return { weightsVersion: r.u32(4, 'weightsVersion'), weights: { codec, length, bytes: r.slice(WEIGHTS_HEADER_BYTES, bytes, 'weights') } };
}

const CODECS = new Set<number>(Object.values(TensorCodec));

function checkCodec(c: number, what: string): TensorCodec {
  if (!CODECS.has(c)) throw fail('FRAME_INVALID', `${what} uses tensor codec ${c}, which this side does not know`);
  return c as TensorCodec;
}
