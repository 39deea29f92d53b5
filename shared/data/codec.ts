import { z } from 'zod';
import { fail } from '../errors';
import { DATASET_TASKS, hasIndexLabels, labelsPerSample, sampleCount, sampleSize, type Dataset, type DatasetMeta } from './dataset';

/**
 * The dataset file served at `/data/<hash>`, written once by the coordinator
 * and read by every tab and node peer:
 *
 *   byte 0   "TTDS"                  magic
 *   byte 4   u32 LE                  format version (1)
 *   byte 8   u32 LE                  header length H in bytes
 *   byte 12  UTF-8 JSON, H bytes     DatasetMeta, keys in a fixed order
 *            zero padding            to a multiple of 4
 *   F        features                u8, or f32 LE
 *            zero padding            to a multiple of 4
 *   L        labels                  u16 LE (class or token indices) or f32 LE (regression targets)
 *            end of file, exactly
 *
 * The padding keeps F and L 4-aligned, so a decoder on a little-endian host
 * (every browser and Node platform in practice) can view the arrays in place.
 */
export const DATASET_MAGIC = 'TTDS';
export const DATASET_FORMAT_VERSION = 1;
const PREFIX_BYTES = 12;
const MAGIC_BYTES = new TextEncoder().encode(DATASET_MAGIC);
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const metaSchema = z
  .object({
    name: z.string(),
    task: z.enum(DATASET_TASKS),
    inputShape: z.array(z.number().int().positive()).min(1),
    // u16 labels: at most 65536 classes
    numClasses: z.number().int().positive().max(65536),
    featureType: z.enum(['u8', 'f32']),
    splits: z.object({ train: z.number().int().nonnegative(), val: z.number().int().nonnegative(), test: z.number().int().nonnegative() }).strict(),
    classNames: z.array(z.string()).optional(),
    sources: z.object({ train: z.string(), val: z.string(), test: z.string() }).strict().optional(),
  })
  .strict();

const align4 = (n: number): number => (n + 3) & ~3;

/** The header object with its keys in one fixed order, so equal datasets give equal bytes (and hashes). */
function canonicalMeta(m: DatasetMeta): DatasetMeta {
  const { train, val, test } = m.splits;
  return {
    name: m.name,
    task: m.task,
    inputShape: [...m.inputShape],
    numClasses: m.numClasses,
    featureType: m.featureType,
    splits: { train, val, test },
    ...(m.classNames !== undefined ? { classNames: [...m.classNames] } : {}),
    ...(m.sources !== undefined ? { sources: { train: m.sources.train, val: m.sources.val, test: m.sources.test } } : {}),
  };
}

function labelValues(meta: DatasetMeta): number {
  return sampleCount(meta) * labelsPerSample(meta);
}

/** Refuses a dataset whose arrays do not match its meta: a bad file must never be written. */
function checkShape(ds: Dataset): void {
  const m = ds.meta;
  const bad = (problem: string): never => {
    throw fail('DATA_INVALID', `encodeDataset "${m.name}": ${problem}`);
  };
  const featOk = m.featureType === 'u8' ? ds.features instanceof Uint8Array : ds.features instanceof Float32Array;
  if (!featOk) bad(`featureType ${m.featureType} but features are a ${ds.features.constructor.name}`);
  const labelOk = hasIndexLabels(m.task) ? ds.labels instanceof Uint16Array : ds.labels instanceof Float32Array;
  if (!labelOk) bad(`task ${m.task} but labels are a ${ds.labels.constructor.name}`);
  if (ds.features.length !== sampleCount(m) * sampleSize(m)) bad(`${ds.features.length} feature values, meta says ${sampleCount(m)} x ${sampleSize(m)}`);
  if (ds.labels.length !== labelValues(m)) bad(`${ds.labels.length} label values, meta says ${labelValues(m)}`);
  if (hasIndexLabels(m.task)) {
    for (let i = 0; i < ds.labels.length; i++) if (ds.labels[i]! >= m.numClasses) bad(`sample ${i} has label ${ds.labels[i]}, numClasses is ${m.numClasses}`);
  }
}

function writeArray(out: Uint8Array, offset: number, a: Uint8Array | Uint16Array | Float32Array): void {
  if (LITTLE_ENDIAN_HOST || a instanceof Uint8Array) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    return;
  }
  const dv = new DataView(out.buffer, out.byteOffset);
  if (a instanceof Uint16Array) for (let i = 0; i < a.length; i++) dv.setUint16(offset + 2 * i, a[i]!, true);
  else for (let i = 0; i < a.length; i++) dv.setFloat32(offset + 4 * i, a[i]!, true);
}

export function encodeDataset(ds: Dataset): Uint8Array {
  checkShape(ds);
  const header = new TextEncoder().encode(JSON.stringify(canonicalMeta(ds.meta)));
  const featOffset = align4(PREFIX_BYTES + header.length);
  const labelOffset = align4(featOffset + ds.features.byteLength);
  const out = new Uint8Array(labelOffset + ds.labels.byteLength); // zero-filled: the padding
  const dv = new DataView(out.buffer);
  out.set(MAGIC_BYTES, 0);
  dv.setUint32(4, DATASET_FORMAT_VERSION, true);
  dv.setUint32(8, header.length, true);
  out.set(header, PREFIX_BYTES);
  writeArray(out, featOffset, ds.features);
  writeArray(out, labelOffset, ds.labels);
  return out;
}

/**
 * Reads and validates a dataset file: every length exact, every label in
 * range, every float finite. On a little-endian host the arrays are views
 * over `bytes` when aligned (zero-copy: they share its memory), copies
 * otherwise. `source` names the file in error messages.
 */
export function decodeDataset(bytes: Uint8Array, source = 'dataset file'): Dataset {
  const bad = (offset: number, problem: string): never => {
    throw fail('DATA_INVALID', `${source} byte ${offset}: ${problem}`);
  };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < PREFIX_BYTES) bad(bytes.length, `truncated: the file is ${bytes.length} bytes, the prefix (magic, version, header length) needs ${PREFIX_BYTES}`);
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== MAGIC_BYTES[i]) bad(0, `magic is 0x${hex(bytes.subarray(0, 4))}, expected "${DATASET_MAGIC}" (not a tabtrain dataset file)`);
  }
  const version = dv.getUint32(4, true);
  if (version !== DATASET_FORMAT_VERSION) bad(4, `format version ${version}, this build reads version ${DATASET_FORMAT_VERSION}`);
  const headerLength = dv.getUint32(8, true);
  if (PREFIX_BYTES + headerLength > bytes.length) bad(8, `header length ${headerLength} runs past the end of the ${bytes.length}-byte file`);

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)));
  } catch (e) {
    return bad(PREFIX_BYTES, `header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const parsed = metaSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `header field "${issue.path.join('.')}"` : 'header';
    return bad(PREFIX_BYTES, `${where}: ${issue.message}`);
  }
  const meta: DatasetMeta = parsed.data;
  if (meta.classNames !== undefined && meta.classNames.length !== meta.numClasses) {
    bad(PREFIX_BYTES, `header has ${meta.classNames.length} classNames for ${meta.numClasses} classes`);
  }

  const values = sampleCount(meta) * sampleSize(meta);
  const featOffset = align4(PREFIX_BYTES + headerLength);
  const featEnd = featOffset + values * (meta.featureType === 'u8' ? 1 : 4);
  const labelOffset = align4(featEnd);
  const nLabels = labelValues(meta);
  const end = labelOffset + nLabels * (hasIndexLabels(meta.task) ? 2 : 4);
  if (bytes.length < end) bad(bytes.length, `truncated: the header's ${sampleCount(meta)} samples need ${end} bytes (features at ${featOffset}, labels at ${labelOffset}), the file has ${bytes.length}`);
  if (bytes.length > end) bad(end, `${bytes.length - end} unexpected bytes after the labels`);
  checkZero(bytes, PREFIX_BYTES + headerLength, featOffset, bad);
  checkZero(bytes, featEnd, labelOffset, bad);

  const features = meta.featureType === 'u8' ? bytes.subarray(featOffset, featEnd) : readF32(bytes, featOffset, values);
  if (features instanceof Float32Array) checkFinite(features, featOffset, 'feature', bad);
  let labels: Uint16Array | Float32Array;
  if (hasIndexLabels(meta.task)) {
    const l = readU16(bytes, labelOffset, nLabels);
    for (let i = 0; i < l.length; i++) if (l[i]! >= meta.numClasses) bad(labelOffset + 2 * i, `label ${l[i]} of sample ${i} is out of range for ${meta.numClasses} classes`);
    labels = l;
  } else {
    labels = readF32(bytes, labelOffset, nLabels);
    checkFinite(labels, labelOffset, 'target', bad);
  }
  return { meta, features, labels };
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function checkZero(bytes: Uint8Array, from: number, to: number, bad: (offset: number, problem: string) => never): void {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) bad(i, `padding byte is ${bytes[i]}, expected 0`);
}

function checkFinite(a: Float32Array, offset: number, what: string, bad: (offset: number, problem: string) => never): void {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) bad(offset + 4 * i, `${what} value ${a[i]} is not finite`);
}

function readF32(bytes: Uint8Array, offset: number, n: number): Float32Array {
  const at = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN_HOST && at % 4 === 0) return new Float32Array(bytes.buffer, at, n);
  const out = new Float32Array(n);
  const dv = new DataView(bytes.buffer, at, 4 * n);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
  return out;
}

function readU16(bytes: Uint8Array, offset: number, n: number): Uint16Array {
  const at = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN_HOST && at % 2 === 0) return new Uint16Array(bytes.buffer, at, n);
  const out = new Uint16Array(n);
  const dv = new DataView(bytes.buffer, at, 2 * n);
  for (let i = 0; i < n; i++) out[i] = dv.getUint16(2 * i, true);
  return out;
}

/**
 * Hex SHA-256 of the file, its address in `/data/<hash>`. Needs
 * crypto.subtle: Node 20 and browsers in a secure context (https, localhost).
 */
export async function datasetHash(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw fail('INTERNAL', 'datasetHash: crypto.subtle is unavailable (browsers offer it only over https or on localhost)');
  // subtle.digest wants an ArrayBuffer-backed view; a SharedArrayBuffer-backed one is copied.
  const view = bytes.buffer instanceof ArrayBuffer ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes.slice();
  return hex(new Uint8Array(await subtle.digest('SHA-256', view)));
}
