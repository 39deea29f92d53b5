import { createHash } from 'node:crypto';
import { z } from 'zod';
import { fail } from '../../shared/errors';

/**
 * The checkpoint file format: a fixed header, then a payload of one JSON
 * document (the run's counters, history and positions) followed by the
 * tensors (weights, optimizer slots, ...) as raw little-endian arrays at
 * 4-byte aligned offsets. The header carries a format version, the payload
 * length (so truncation is caught before parsing) and a sha256 of the
 * payload (so any flipped byte is caught).
 *
 *   0 "TTCK"   4 u32 format version   8 u32 JSON bytes   12 u32 tensor count
 *  16 f64 payload bytes   24 sha256(payload) [32 bytes]   56 payload
 */
export const CHECKPOINT_FORMAT_VERSION = 1;
const MAGIC = [0x54, 0x54, 0x43, 0x4b]; // "TTCK"
const HEADER_BYTES = 56;

export type CheckpointTensor = Float32Array | Uint32Array;

export interface CheckpointFile<M> {
  meta: M;
  tensors: Record<string, CheckpointTensor>;
}

const tensorEntry = z
  .object({
    name: z.string(),
    dtype: z.enum(['f32', 'u32']),
    /** Byte offset from the start of the payload. */
    offset: z.number().int().nonnegative(),
    length: z.number().int().nonnegative(),
  })
  .strict();
type TensorEntry = z.infer<typeof tensorEntry>;

/** The JSON document at the start of the payload: the caller's metadata and the table of tensors. */
const checkpointDoc = z.object({ meta: z.record(z.string(), z.unknown()), tensors: z.array(tensorEntry) }).strict();

const align4 = (n: number): number => (n + 3) & ~3;

export function encodeCheckpoint<M>(c: CheckpointFile<M>): Uint8Array {
  const entries: TensorEntry[] = [];
  // The JSON's size depends on the offsets it lists, so lay tensors out from a bound first.
  const names = Object.keys(c.tensors).sort();
  const draft = (base: number): { json: Uint8Array; end: number } => {
    entries.length = 0;
    let at = base;
    for (const name of names) {
      const t = c.tensors[name]!;
      entries.push({ name, dtype: t instanceof Uint32Array ? 'u32' : 'f32', offset: at, length: t.length });
      at += 4 * t.length;
    }
    return { json: new TextEncoder().encode(JSON.stringify({ meta: c.meta, tensors: entries })), end: at };
  };
  let base = 0;
  let d = draft(base);
  while (align4(d.json.byteLength) !== base) {
    base = align4(d.json.byteLength);
    d = draft(base);
  }
  const payloadBytes = d.end;
  const out = new Uint8Array(HEADER_BYTES + payloadBytes);
  const payload = out.subarray(HEADER_BYTES);
  payload.set(d.json, 0);
  for (const e of entries) {
    const t = c.tensors[e.name]!;
    payload.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), e.offset);
  }
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint32(4, CHECKPOINT_FORMAT_VERSION, true);
  dv.setUint32(8, d.json.byteLength, true);
  dv.setUint32(12, entries.length, true);
  dv.setFloat64(16, payloadBytes, true);
  out.set(sha256(payload), 24);
  return out;
}

/**
 * Reads and checks a checkpoint; every problem is a CHECKPOINT_INVALID naming
 * what is wrong with `name`. The tensor table is always parsed; the metadata
 * is parsed with `metaSchema` when the caller gives one (it should: without
 * it the metadata is only known to be a JSON object).
 */
export function decodeCheckpoint<M>(bytes: Uint8Array, name: string, metaSchema?: z.ZodType<M>): CheckpointFile<M> {
  const bad = (why: string): never => {
    throw fail('CHECKPOINT_INVALID', `checkpoint ${name}: ${why}`);
  };
  if (bytes.byteLength < HEADER_BYTES) bad(`truncated: ${bytes.byteLength} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  if (MAGIC.some((b, i) => bytes[i] !== b)) bad('not a tabtrain checkpoint (bad magic bytes)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== CHECKPOINT_FORMAT_VERSION) bad(`format version ${version}, this tabtrain reads version ${CHECKPOINT_FORMAT_VERSION}`);
  const jsonBytes = dv.getUint32(8, true);
  const payloadBytes = dv.getFloat64(16, true);
  const have = bytes.byteLength - HEADER_BYTES;
  if (have !== payloadBytes) bad(`truncated: the header announces ${payloadBytes} payload bytes, the file has ${have}`);
  const payload = bytes.subarray(HEADER_BYTES);
  const want = bytes.subarray(24, 56);
  const got = sha256(payload);
  if (!got.every((b, i) => b === want[i])) bad('checksum mismatch: the file is corrupted');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(payload.subarray(0, jsonBytes)));
  } catch (e) {
    return bad(`unreadable metadata (${e instanceof Error ? e.message : String(e)})`);
  }
  const parsed = checkpointDoc.safeParse(json);
  if (!parsed.success) return bad(`invalid metadata${issueText(parsed.error)}`);
  const doc = parsed.data;
  let meta: M;
  if (metaSchema) {
    const m = metaSchema.safeParse(doc.meta);
    if (!m.success) return bad(`invalid metadata${issueText(m.error, 'meta')}`);
    meta = m.data;
  } else {
    meta = doc.meta as M; // the caller gave no schema: see the doc comment
  }
  const tensors: Record<string, CheckpointTensor> = {};
  for (const e of doc.tensors) {
    if (e.offset % 4 !== 0 || e.offset + 4 * e.length > payloadBytes) bad(`tensor ${e.name} lies outside the payload`);
    // A fresh buffer of its own (Buffer#slice would share the file's memory, unaligned).
    const copy = new Uint8Array(4 * e.length);
    copy.set(payload.subarray(e.offset, e.offset + 4 * e.length));
    tensors[e.name] = e.dtype === 'u32' ? new Uint32Array(copy.buffer) : new Float32Array(copy.buffer);
  }
  return { meta, tensors };
}

function issueText(e: z.ZodError, prefix?: string): string {
  const issue = e.issues[0];
  const path = [...(prefix ? [prefix] : []), ...(issue?.path ?? []).map(String)];
  return `${path.length > 0 ? ` at ${path.join('.')}` : ''}: ${issue?.message ?? 'unknown problem'}`;
}

function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(b).digest());
}
