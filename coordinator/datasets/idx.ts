import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fail } from '../../shared/errors';
import type { RawDataset } from '../../shared/data/dataset';

/**
 * The IDX files of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
 *
 *   byte 0  0x00 0x00            magic, then
 *   byte 2  0x08                 element type: unsigned byte (the only one these sets use)
 *   byte 3  ndims                1 for labels, 3 for images
 *   byte 4  ndims x u32 BE       dimension sizes
 *           prod(dims) bytes     the data, and nothing after it
 */
export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses one IDX file of unsigned bytes; `fileName` names it in errors. */
export function parseIdx(bytes: Uint8Array, fileName: string, expectMagic?: number): IdxArray {
  const bad = (offset: number, problem: string): never => {
    throw fail('DATA_INVALID', `${fileName} byte ${offset}: ${problem}`);
  };
  if (bytes.length < 4) bad(bytes.length, `truncated: ${bytes.length} bytes, the magic number needs 4`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0, false);
  // the magic's last byte is the number of dimensions, so a matching magic also fixes ndims
  const known = expectMagic !== undefined ? [expectMagic] : [IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC];
  if (!known.includes(magic)) bad(0, `magic is ${hex32(magic)}, expected ${known.map(hex32).join(' or ')} (${known.map(describeMagic).join(' or ')})`);
  const ndims = bytes[3]!;
  const dataOffset = 4 + 4 * ndims;
  if (bytes.length < dataOffset) bad(bytes.length, `truncated in the header: ${ndims} dimensions need ${dataOffset} bytes, the file has ${bytes.length}`);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) {
    const size = dv.getUint32(4 + 4 * i, false);
    if (size === 0) bad(4 + 4 * i, `dimension ${i} is 0`);
    dims.push(size);
  }
  const size = dims.reduce((a, b) => a * b, 1);
  const end = dataOffset + size;
  if (bytes.length < end) bad(bytes.length, `truncated: dimensions [${dims.join(', ')}] need ${size} data bytes from byte ${dataOffset} (${end} in all), the file has ${bytes.length}`);
  if (bytes.length > end) bad(end, `${bytes.length - end} unexpected bytes after the data`);
  return { dims, data: bytes.subarray(dataOffset, end) };
}

function hex32(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

function describeMagic(m: number): string {
  return m === IDX_IMAGES_MAGIC ? 'u8 images' : m === IDX_LABELS_MAGIC ? 'u8 labels' : 'idx';
}

/** Reads `dir/base` or `dir/base.gz` (gunzipped), preferring the plain file. */
function readIdxFile(dir: string, base: string, magic: number): { idx: IdxArray; name: string } {
  const plain = join(dir, base);
  const gz = `${plain}.gz`;
  if (existsSync(plain)) return { idx: parseIdx(readFileSync(plain), basename(plain), magic), name: basename(plain) };
  if (!existsSync(gz)) throw fail('DATA_NOT_FOUND', `idx:${dir}: neither ${base} nor ${base}.gz found in ${dir}`);
  let bytes: Uint8Array;
  try {
    bytes = gunzipSync(readFileSync(gz));
  } catch (e) {
    throw fail('DATA_INVALID', `${basename(gz)} byte 0: not valid gzip (${e instanceof Error ? e.message : String(e)})`);
  }
  return { idx: parseIdx(bytes, basename(gz), magic), name: basename(gz) };
}

function readPair(dir: string, prefix: 'train' | 't10k'): { images: IdxArray; labels: IdxArray; imagesName: string; labelsName: string } {
  const im = readIdxFile(dir, `${prefix}-images-idx3-ubyte`, IDX_IMAGES_MAGIC);
  const lb = readIdxFile(dir, `${prefix}-labels-idx1-ubyte`, IDX_LABELS_MAGIC);
  if (im.idx.dims[0] !== lb.idx.dims[0]) throw fail('DATA_INVALID', `${im.name} byte 4: ${im.idx.dims[0]} images but ${lb.name} has ${lb.idx.dims[0]} labels`);
  return { images: im.idx, labels: lb.idx, imagesName: im.name, labelsName: lb.name };
}

/**
 * The four standard files of a directory (each optionally .gz), train then
 * t10k in one array; the t10k samples are marked held out, so the split
 * keeps them as the test set as they are and cuts validation from the
 * train-* samples only (MNIST at the default ratios: 53,333 / 6,667 / 10,000).
 */
export function loadIdxDir(dir: string): RawDataset {
  if (!existsSync(dir)) throw fail('DATA_NOT_FOUND', `idx:${dir}: directory not found`);
  const train = readPair(dir, 'train');
  const test = readPair(dir, 't10k');
  const [, rows, cols] = train.images.dims as [number, number, number];
  if (test.images.dims[1] !== rows || test.images.dims[2] !== cols) {
    throw fail('DATA_INVALID', `${test.imagesName} byte 8: images are ${test.images.dims[1]}x${test.images.dims[2]}, the train images are ${rows}x${cols}`);
  }
  const features = new Uint8Array(train.images.data.length + test.images.data.length);
  features.set(train.images.data, 0);
  features.set(test.images.data, train.images.data.length);
  const labels = new Uint16Array(train.labels.data.length + test.labels.data.length);
  labels.set(train.labels.data, 0);
  labels.set(test.labels.data, train.labels.data.length);
  const numClasses = labels.reduce((m, l) => Math.max(m, l), 0) + 1;
  return {
    name: `idx:${basename(dir)}`,
    task: 'classification',
    inputShape: [rows, cols, 1],
    numClasses,
    featureType: 'u8',
    classNames: Array.from({ length: numClasses }, (_, c) => String(c)),
    features,
    labels,
    heldOut: { count: test.labels.data.length, trainFile: `${train.imagesName} + ${train.labelsName}`, testFile: `${test.imagesName} + ${test.labelsName}` },
  };
}
