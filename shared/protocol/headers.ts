import { fail } from '../errors';
import { TaskKind } from './codes';
import { align4 } from './frame';

/**
 * Where each field of the TASK and GRAD headers sits (byte offsets, all
 * little-endian), named once: tensors.ts encodes and decodes whole frames
 * with them, and a peer that reads or writes only the header (the bench's
 * replay peer, which never looks at weights) uses the helpers below instead
 * of offsets of its own. The layouts are drawn in tensors.ts.
 */
export const TASK_HEADER_BYTES = 36;
export const TaskField = {
  CODE: 0,
  KIND: 1,
  WEIGHTS_CODEC: 2,
  FLAGS: 3,
  TASK_ID: 4,
  STEP: 8,
  WEIGHTS_VERSION: 12,
  INDEX_COUNT: 16,
  WEIGHTS_LENGTH: 20,
  WEIGHTS_BYTES: 24,
  SEED: 28,
  BASE_VERSION: 32,
} as const;

export const GRAD_HEADER_BYTES = 48;
export const GradField = {
  CODE: 0,
  CODEC: 1,
  TASK_ID: 4,
  STEP: 8,
  WEIGHTS_VERSION: 12,
  COUNT: 16,
  COMPUTE_MS: 20,
  LOSS_SUM: 24,
  GRAD_LENGTH: 32,
  GRAD_BYTES: 36,
  STATE_LENGTH: 40,
} as const;

/** The GRAD bytes that name the task a gradient answers (code, codec, taskId, step, weightsVersion, count): 0..19. */
export const GRAD_TASK_BYTES = GradField.COUNT + 4;

/** What a TASK header says, without its indices or weights. */
export interface TaskHeader {
  kind: TaskKind;
  flags: number;
  taskId: number;
  step: number;
  weightsVersion: number;
  /** Samples the task covers (its number of indices). */
  count: number;
  weightsCodec: number;
  weightsLength: number;
  weightsBytes: number;
  seed: number;
  baseVersion: number;
}

/**
 * Reads a TASK header from its first TASK_HEADER_BYTES (or more) bytes and
 * checks it against the whole frame's length, as decodeTask would.
 */
export function readTaskHeader(head: Uint8Array, frameLength: number): TaskHeader {
  if (head.byteLength < TASK_HEADER_BYTES) throw fail('FRAME_TRUNCATED', `TASK frame is ${frameLength} bytes, shorter than its ${TASK_HEADER_BYTES}-byte header`);
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const u32 = (at: number): number => v.getUint32(at, true);
  const kind = v.getUint8(TaskField.KIND);
  if (kind !== TaskKind.TRAIN && kind !== TaskKind.EVAL && kind !== TaskKind.LOCAL) throw fail('FRAME_INVALID', `TASK kind ${kind} is not 0 (train), 1 (eval) or 2 (local steps)`);
  const count = u32(TaskField.INDEX_COUNT);
  const weightsBytes = u32(TaskField.WEIGHTS_BYTES);
  const end = align4(TASK_HEADER_BYTES + count * 4 + weightsBytes);
  if (end !== frameLength) throw fail('FRAME_INVALID', `TASK frame is ${frameLength} bytes but its fields end at byte ${end}`);
  return {
    kind,
    flags: v.getUint8(TaskField.FLAGS),
    taskId: u32(TaskField.TASK_ID),
    step: u32(TaskField.STEP),
    weightsVersion: u32(TaskField.WEIGHTS_VERSION),
    count,
    weightsCodec: v.getUint8(TaskField.WEIGHTS_CODEC),
    weightsLength: u32(TaskField.WEIGHTS_LENGTH),
    weightsBytes,
    seed: u32(TaskField.SEED),
    baseVersion: u32(TaskField.BASE_VERSION),
  };
}

/**
 * Writes the fields that tie a GRAD to its task into the first
 * GRAD_TASK_BYTES of an encoded GRAD (code and codec stay as encoded), so one
 * encoded gradient can answer many tasks.
 */
export function writeGradTask(head: Uint8Array, t: { taskId: number; step: number; weightsVersion: number; count: number }): void {
  if (head.byteLength < GRAD_TASK_BYTES) throw fail('INTERNAL', `a GRAD head needs ${GRAD_TASK_BYTES} bytes, got ${head.byteLength}`);
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  v.setUint32(GradField.TASK_ID, t.taskId, true);
  v.setUint32(GradField.STEP, t.step, true);
  v.setUint32(GradField.WEIGHTS_VERSION, t.weightsVersion, true);
  v.setUint32(GradField.COUNT, t.count, true);
}
